using System.Text;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Sdp;
using GrpcStream.Shared.Net;

namespace GrpcStream.Edge.Requests;

/// <summary>The methods that need no session: OPTIONS and DESCRIBE.</summary>
internal sealed class ConnectionMethods(Origin.OriginLink origin, TimeProvider time)
{
    public const string PublicMethods = "OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, PAUSE, RECORD, TEARDOWN, GET_PARAMETER, SET_PARAMETER";

    public static void Options(RtspResponse response) => response.Headers.Add(("Public", PublicMethods));

    public static void MethodNotAllowed(RtspResponse response)
    {
        response.Headers.Add(("Allow", PublicMethods));
        response.Status = RtspStatusCode.MethodNotAllowed;
    }

    public async ValueTask DescribeAsync(ClientContext client, RtspMessage request, RtspResponse response)
    {
        if (!StreamPaths.TryGetStream(request, out var name))
        {
            response.Status = RtspStatusCode.NotFound;
            return;
        }

        var connection = client.Connection;
        var description = await origin.DescribeAsync(name, connection.Closed).ConfigureAwait(false);
        var local = PlainAddress.Of(connection.Local.Address);
        var sdp = JpegSessionDescription.Create(
            name,
            description.FrameRate,
            (int)description.Width,
            (int)description.Height,
            (ulong)time.GetUtcNow().ToUnixTimeMilliseconds(),
            local.ToString());
        response.Headers.Add(("Content-Base", StreamPaths.BaseUrl(connection, request, name)));
        response.ContentType = "application/sdp";
        response.Body = Encoding.UTF8.GetBytes(sdp.ToString());
    }
}
