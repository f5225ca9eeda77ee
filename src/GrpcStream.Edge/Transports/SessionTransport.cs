using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Streams;

namespace GrpcStream.Edge.Transports;

/// <summary>How one session's RTP and RTCP reach its client.</summary>
internal abstract class SessionTransport
{
    /// <summary>"udp", "tcp" or "lab", as in metrics and logs.</summary>
    public abstract string Kind { get; }

    /// <summary>Sends a frame with the session's own RTP numbering; must not block on a slow client.</summary>
    public abstract void Send(RtspSession session, SharedFrame frame);

    /// <summary>Sends an RTCP compound packet (sender report, BYE).</summary>
    public abstract void SendRtcp(ReadOnlySpan<byte> compound);

    /// <summary>Called once when the session ends.</summary>
    public virtual void Close()
    {
    }
}
