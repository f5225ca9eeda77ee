
namespace GrpcStream.Origin.Diagnostics;

/// <summary>The origin's log messages, source-generated so that a disabled level costs nothing.</summary>
internal static partial class OriginLog
{
    [LoggerMessage(1, LogLevel.Information, "Stream {Stream} indexed: {Format}, {Frames} frames, {Width}x{Height} at {FrameRate} fps")]
    public static partial void StreamLoaded(ILogger logger, string stream, string format, int frames, int width, int height, double frameRate);

    [LoggerMessage(2, LogLevel.Warning, "{Name} is not a stream: {Reason}")]
    public static partial void NotAStream(ILogger logger, string name, string reason);

    [LoggerMessage(3, LogLevel.Warning, "Stream {Stream}: {Skipped} frames skipped (truncated, corrupt or over a limit); first: {FirstProblem}")]
    public static partial void FramesSkipped(ILogger logger, string stream, int skipped, string firstProblem);

    [LoggerMessage(4, LogLevel.Information, "Stream {Stream}: {Frames} frames converted for RTP/JPEG ({Reason}; lossless: {Lossless}; {FromCache} of them found in the conversion cache)")]
    public static partial void FramesConverted(ILogger logger, string stream, int frames, string reason, bool lossless, int fromCache);

    [LoggerMessage(5, LogLevel.Information, "Stream {Stream} removed from the media root")]
    public static partial void StreamRemoved(ILogger logger, string stream);

    [LoggerMessage(6, LogLevel.Error, "Media root {Root} cannot be read: {Reason}")]
    public static partial void MediaRootUnreadable(ILogger logger, string root, string reason);

    [LoggerMessage(7, LogLevel.Information, "Subscriber {Peer} watching {Stream} (resume after {ResumeAfter})")]
    public static partial void WatchStarted(ILogger logger, string peer, string stream, string resumeAfter);

    [LoggerMessage(8, LogLevel.Information, "Subscriber {Peer} left {Stream}: {Sent} frames sent, {Dropped} dropped as it read too slowly")]
    public static partial void WatchEnded(ILogger logger, string peer, string stream, long sent, long dropped);

    [LoggerMessage(10, LogLevel.Error, "Scanning the media root failed; the streams already loaded are still served")]
    public static partial void ScanFailed(ILogger logger, Exception exception);

    [LoggerMessage(9, LogLevel.Information, "Origin listening on {Addresses}; streams: {Streams}")]
    public static partial void Listening(ILogger logger, string addresses, string streams);

    [LoggerMessage(11, LogLevel.Information, "TLS certificate loaded: {Subject}, valid until {NotAfter}")]
    public static partial void CertificateLoaded(ILogger logger, string subject, string notAfter);

    [LoggerMessage(12, LogLevel.Warning, "TLS certificate could not be reloaded ({Reason}); the previous one is still used")]
    public static partial void CertificateReloadFailed(ILogger logger, string reason);

    [LoggerMessage(13, LogLevel.Warning, "Client certificate {Subject} refused: {Reason}")]
    public static partial void ClientCertificateRefused(ILogger logger, string subject, string reason);

    [LoggerMessage(14, LogLevel.Warning, "gRPC is served in cleartext on {Url}, which is not a loopback address: anyone on the network can read every stream (set Origin:Tls, see README 'Securing a deployment')")]
    public static partial void CleartextOnNetwork(ILogger logger, string url);

    [LoggerMessage(16, LogLevel.Debug, "Stream {Stream} listed: {Format}, {Width}x{Height} at {FrameRate} fps; indexing the rest of its frames")]
    public static partial void StreamListed(ILogger logger, string stream, string format, int width, int height, double frameRate);

    [LoggerMessage(17, LogLevel.Warning, "Stream {Stream}: indexing stopped after {Frames} frames: {Reason}")]
    public static partial void IndexingStopped(ILogger logger, string stream, int frames, string reason);

    [LoggerMessage(18, LogLevel.Warning, "Stream {Stream}: frame {Position} could not be read as indexed (the source changed since); the next rescan picks the change up")]
    public static partial void FrameUnreadable(ILogger logger, string stream, int position);

    [LoggerMessage(19, LogLevel.Error, "Stream {Stream}: indexing failed; the frames indexed so far are still served")]
    public static partial void IndexingFailed(ILogger logger, string stream, Exception exception);

    [LoggerMessage(20, LogLevel.Information, "Publisher started {Stream} at {FrameRate} fps: {What}")]
    public static partial void PublishStarted(ILogger logger, string stream, double frameRate, string what);

    [LoggerMessage(21, LogLevel.Information, "Publisher of {Stream} left; the stream is held for {HoldSeconds} s for it to come back")]
    public static partial void PublisherLeft(ILogger logger, string stream, double holdSeconds);

    [LoggerMessage(22, LogLevel.Information, "Published stream {Stream} ended after {Frames} frames")]
    public static partial void PublishedStreamEnded(ILogger logger, string stream, long frames);

    [LoggerMessage(23, LogLevel.Warning, "Publisher {Peer} of {Stream} refused: {Reason}")]
    public static partial void PublishRefused(ILogger logger, string peer, string stream, string reason);

    [LoggerMessage(24, LogLevel.Warning, "No publishing auth is configured: anyone who reaches the origin may publish under {Prefix} (set Origin:Publish:Tokens or Origin:Tls:ClientCaPath)")]
    public static partial void PublishingOpen(ILogger logger, string prefix);

    [LoggerMessage(15, LogLevel.Information, "Rescan of the media root asked by {Peer}")]
    public static partial void RescanAsked(ILogger logger, string peer);
}
