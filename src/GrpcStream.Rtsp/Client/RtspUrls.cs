using GrpcStream.Rtsp.Headers;

namespace GrpcStream.Rtsp.Client;

internal static class RtspUrls
{
    public static RtspUrl ParseOrThrow(string url) =>
        RtspUrl.TryParse(url, out var parsed) ? parsed : throw new RtspClientException($"'{url}' is not an rtsp:// URL.");
}
