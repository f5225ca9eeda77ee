using System.Text;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Sdp;
using GrpcStream.Shared.Net;

namespace GrpcStream.Edge.Requests;

/// <summary>The methods that need no session: OPTIONS and DESCRIBE.</summary>
internal sealed class ConnectionMethods(Origin.OriginLink origin, TimeProvider time)
{
    public const string PublicMethods = "OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, PAUSE, RECORD, TEARDOWN, GET_PARAMETER, SET_PARAMETER";

    public static RtspResponse Options() => RtspResponse.Ok.With("Public", PublicMethods);

    public static RtspResponse MethodNotAllowed() => RtspResponse.Of(RtspStatusCode.MethodNotAllowed, "Allow", PublicMethods);

    public async ValueTask<RtspResponse> DescribeAsync(ClientContext client, RtspMessage request)
    {
        if (!StreamPaths.TryGetStream(request, out var name))
        {
            return new RtspResponse(RtspStatusCode.NotFound);
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
            local.ToString(),
            description.Mode == Protos.Origin.V1.StreamMode.OnDemand ? new RangeHeader(0, description.DurationSeconds > 0 ? description.DurationSeconds : null) : null);
        return RtspResponse.Ok.With("Content-Base", StreamPaths.BaseUrl(connection, request, name)) with
        {
            ContentType = "application/sdp",
            Body = Encoding.UTF8.GetBytes(sdp.ToString()),
        };
    }
}
