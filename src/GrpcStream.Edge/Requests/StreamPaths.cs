using System.Globalization;
using GrpcStream.Edge.Connections;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Sdp;

namespace GrpcStream.Edge.Requests;

/// <summary>Stream names in request URIs, and the URLs the answers give back.</summary>
internal static class StreamPaths
{
    /// <summary>
    /// The stream named by the request URI: rtsp://host/NAME, rtsp://host/NAME/ or rtsp://host/NAME/track1, or a
    /// bare NAME.
    /// </summary>
    public static bool TryGetStream(RtspMessage request, out string name)
    {
        name = string.Empty;
        var path = RtspUrl.TryParse(request.Uri, out var url) ? url.Path : request.Uri;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length is not (1 or 2) || (segments.Length == 2 && segments[1] != JpegSessionDescription.TrackControl))
        {
            return false;
        }

        name = segments[0];
        return name is not ("." or "..");
    }

    /// <summary>The stream's base URL (ending in '/', as live555 clients expect), as the client addressed the edge.</summary>
    public static string BaseUrl(RtspConnection connection, RtspMessage request, string name)
    {
        if (RtspUrl.TryParse(request.Uri, out var url))
        {
            return new UriBuilder(url.IsSecure ? "rtsps" : "rtsp", url.Host, url.Port, "/" + Uri.EscapeDataString(name) + "/").Uri.AbsoluteUri;
        }

        var local = connection.Local;
        return $"{(connection.IsSecure ? "rtsps" : "rtsp")}://{local.Address}:{local.Port.ToString(CultureInfo.InvariantCulture)}/{Uri.EscapeDataString(name)}/";
    }
}
