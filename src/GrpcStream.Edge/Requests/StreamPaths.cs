using System.Globalization;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Sdp;
using GrpcStream.Shared;

namespace GrpcStream.Edge.Requests;

/// <summary>Stream names in request URIs, and the URLs the answers give back.</summary>
internal static class StreamPaths
{
    /// <summary>
    /// The stream named by the request URI: rtsp://host/NAME, rtsp://host/NAME/ or rtsp://host/NAME/track1, or a
    /// bare NAME. A name may be path-like (live/cam1), so the track control is known by its place: the last segment
    /// of a SETUP's URI is the track when it is <c>track1</c> and something comes before it; DESCRIBE and ANNOUNCE
    /// name a stream.
    /// </summary>
    public static bool TryGetStream(RtspMessage request, out string name)
    {
        name = string.Empty;
        var path = (RtspUrl.TryParse(request.Uri, out var url) ? url.Path : request.Uri).Trim('/');
        if (request.Method is not (RtspMethod.Describe or RtspMethod.Announce) && path.EndsWith("/" + JpegSessionDescription.TrackControl, StringComparison.Ordinal))
        {
            path = path[..^(JpegSessionDescription.TrackControl.Length + 1)];
        }

        name = path;
        return IsStreamName(name);
    }

    /// <summary>Whether <paramref name="name"/> can be a stream's name, by the origin's rules (<see cref="StreamName"/>).</summary>
    public static bool IsStreamName(string name) => StreamName.Check(name) is null;

    /// <summary>A stream name as a URL path: each segment escaped, the '/' between them kept.</summary>
    public static string UrlPath(string name) => string.Join('/', name.Split('/').Select(Uri.EscapeDataString));

    /// <summary>The stream's base URL (ending in '/', as live555 clients expect), as the client addressed the edge.</summary>
    public static string BaseUrl(IClientConnection connection, RtspMessage request, string name)
    {
        if (RtspUrl.TryParse(request.Uri, out var url))
        {
            return new UriBuilder(url.IsSecure ? "rtsps" : "rtsp", url.Host, url.Port).Uri.AbsoluteUri + UrlPath(name) + "/";
        }

        var local = connection.Local;
        return $"{(connection.IsSecure ? "rtsps" : "rtsp")}://{local.Address}:{local.Port.ToString(CultureInfo.InvariantCulture)}/{UrlPath(name)}/";
    }
}
