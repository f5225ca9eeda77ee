namespace GrpcStream.Rtsp.Client;

/// <summary>An <see cref="RtspPlayer"/>'s options: the connection's, and how media is received and held.</summary>
public sealed record RtspPlayerOptions : RtspClientOptions
{
    public RtspTransport Transport { get; init; } = RtspTransport.Udp;

    /// <summary>Local RTP port for UDP (RTCP on the next); 0 picks a free even port.</summary>
    public int RtpPort { get; init; }

    /// <summary>Received frames held for a slow consumer before the oldest is dropped (and counted).</summary>
    public int FrameBuffer { get; init; } = 64;

    /// <summary>Bytes of received frames held for a slow consumer; past it the oldest are dropped (and counted).</summary>
    public long FrameBufferBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// The largest frame the player rebuilds (16 MiB, the most RFC 2435 can carry); larger ones are dropped and
    /// counted, so that no server can make the player hold more.
    /// </summary>
    public int MaxFrameBytes { get; init; } = Jpeg.RtpJpegCompatibility.MaxFrameBytes;

    /// <summary>
    /// False to only count frames (statistics) without rebuilding or copying them: for load generators, where the
    /// frames themselves are not needed. Packets are still checked as a player would (sequence, fragments, SSRC);
    /// UDP is received in batches and TCP in large reads.
    /// </summary>
    public bool DeliverFrames { get; init; } = true;

    /// <summary>
    /// With <see cref="DeliverFrames"/> off, whether the batch receiver turns on UDP generic receive offload, so that
    /// the kernel hands over a sender's segmented run of datagrams whole. Players (ffmpeg, GStreamer, VLC) do not:
    /// without it, the kernel splits each run into datagrams on the sender's time, which is what a server costs
    /// when real players watch.
    /// </summary>
    public bool UdpGro { get; init; }
}
