using System.Security.Cryptography;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Rtcp;

namespace GrpcStream.Edge.Sessions;

/// <summary>RTSP session states (RFC 2326 appendix A.1, server side).</summary>
public enum SessionState
{
    Init,
    Ready,
    Playing,
}

/// <summary>
/// One client's session: its state, its transport, and the RTP numbering that is its own (SSRC, sequence
/// numbers, timestamp offset). The numbering continues across origin outages, so players simply resume.
/// </summary>
internal sealed class RtspSession
{
    private long _lastActivity;
    private ushort _nextSequence;
    private long _lastReportedLost;

    public RtspSession(string id, StreamHub hub, SessionTransport transport, Rtsp.RtspConnection connection, bool isLab, long now)
    {
        Id = id;
        Hub = hub;
        Transport = transport;
        Connection = connection;
        IsLab = isLab;
        Ssrc = (uint)RandomNumberGenerator.GetInt32(int.MaxValue) | 1u;
        _nextSequence = (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue);
        TimestampOffset = (uint)RandomNumberGenerator.GetInt32(int.MaxValue);
        _lastActivity = now;
    }

    public string Id { get; }

    public StreamHub Hub { get; }

    public SessionTransport Transport { get; }

    public Rtsp.RtspConnection Connection { get; }

    /// <summary>The classic lab client: one JPEG per RTP packet, LF-only responses.</summary>
    public bool IsLab { get; }

    public SessionState State { get; set; } = SessionState.Ready;

    public uint Ssrc { get; }

    public uint TimestampOffset { get; }

    /// <summary>The sequence number the next packet will carry (for RTP-Info).</summary>
    public ushort NextSequence => _nextSequence;

    public long FramesSent;
    public long PacketsSent;
    public long OctetsSent;
    public long FramesDropped;

    /// <summary>The last RTCP receiver report from the client, if any.</summary>
    public ReportBlock? LastReport { get; private set; }

    public long LastSenderReport { get; set; }

    public long LastActivity => Interlocked.Read(ref _lastActivity);

    /// <summary>Marks the session alive (any request on it, or an RTCP report from its client).</summary>
    public void Touch(long now) => Interlocked.Exchange(ref _lastActivity, now);

    /// <summary>Reserves <paramref name="count"/> sequence numbers and returns the first.</summary>
    public ushort TakeSequenceNumbers(int count)
    {
        var first = _nextSequence;
        _nextSequence = (ushort)(_nextSequence + count);
        return first;
    }

    public uint RtpTimeOf(uint pts) => pts + TimestampOffset;

    public void Send(SharedFrame frame) => Transport.Send(this, frame);

    /// <summary>Records a receiver report; returns the packets newly reported lost since the last one.</summary>
    public long OnReceiverReport(ReportBlock block, long now)
    {
        Touch(now);
        LastReport = block;
        var newlyLost = Math.Max(0, block.CumulativeLost - _lastReportedLost);
        _lastReportedLost = block.CumulativeLost;
        return newlyLost;
    }
}
