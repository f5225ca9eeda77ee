using System.IO.Pipelines;

namespace GrpcStream.Rtsp.Client;

/// <summary>
/// How a load generator reads RTP interleaved on the RTSP connection. The pipe's defaults (4 KB buffers) cost a
/// read, a wake-up and often a split packet for every few packets; a server writes a reader's whole frame at once
/// (tens of packets), and one read should take all of it.
/// </summary>
internal static class InterleavedReads
{
    /// <summary>A read's buffer: a 640x480 frame and more, within the pool's largest cached size class.</summary>
    public const int BufferSize = 64 * 1024;

    /// <summary>
    /// Less room than this left in a buffer and the next read takes a new one, so reads stay large; the packet cut
    /// at the old buffer's end is copied whole once (see <c>RtspClientConnection.OnInterleaved</c>).
    /// </summary>
    public const int MinimumReadSize = 16 * 1024;

    /// <summary>
    /// Large reads that take a buffer only once data has arrived (a zero-byte read waits first): a thousand idle
    /// readers then hold no buffers, and the few buffers in use stay warm in the cache.
    /// </summary>
    public static StreamPipeReaderOptions LoadGenerator { get; } = new(
        bufferSize: BufferSize,
        minimumReadSize: MinimumReadSize,
        useZeroByteReads: true);
}
