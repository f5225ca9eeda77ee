using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Streams;

namespace GrpcStream.Edge.Transports;

/// <summary>
/// RTP and RTCP interleaved on the session's RTSP connection (RFC 2326 10.12). Frames wait in a bounded queue of
/// the connection's writer; when a reader falls that far behind, whole frames are dropped for it alone, so a
/// player never gets half a frame and never slows anyone else down.
/// </summary>
internal sealed class InterleavedTransport(Rtsp.RtspConnection connection, EdgeMetrics metrics, byte rtpChannel, byte rtcpChannel, int maxQueuedFrames) : SessionTransport
{
    private int _queued;

    public override string Kind => "tcp";

    public byte RtpChannel { get; } = rtpChannel;

    public byte RtcpChannel { get; } = rtcpChannel;

    public override void Send(RtspSession session, SharedFrame frame)
    {
        if (Interlocked.Increment(ref _queued) > maxQueuedFrames)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref session.FramesDropped);
            metrics.FrameDropped(Kind);
            return;
        }

        frame.AddReference();
        if (!connection.QueueFrame(session, this, frame))
        {
            Dequeued(frame);
        }
    }

    /// <summary>Called by the connection's writer when it is done with a queued frame.</summary>
    public void Dequeued(SharedFrame frame)
    {
        Interlocked.Decrement(ref _queued);
        frame.Release();
    }

    public override void SendRtcp(ReadOnlySpan<byte> compound) => connection.QueueInterleaved(RtcpChannel, compound);
}
