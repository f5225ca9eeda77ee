using System.Security.Cryptography;
using GrpcStream.Rtsp.Rtcp;

namespace GrpcStream.Edge.Rtp;

/// <summary>
/// One session's RTP sending state, the same for every transport: its SSRC, sequence numbers, timestamp base,
/// counters, and the RTCP sender reports built from them. Numbering continues across origin outages, so players
/// simply resume. Counters are updated atomically: transports count from the fan-out thread and from a TCP
/// connection's writer, reports read them from the maintenance timer.
/// </summary>
internal sealed class RtpSender
{
    private const string Cname = "grpcstream-edge";
    private const long LastTimestampSet = 1L << 32;
    private readonly TimeProvider _time;
    private int _nextSequence;
    private long _framesSent;
    private long _packetsSent;
    private long _octetsSent;
    private long _framesDropped;
    private long _lastReportedLost;
    private long _lastSenderReport;
    private int _timestampOffset;

    // The last frame's RTP time, with a bit above its 32 that says one was sent.
    private long _lastTimestamp;
    private long _lastStampedAt;

    public RtpSender(TimeProvider time)
        : this(time, (uint)RandomNumberGenerator.GetInt32(int.MaxValue) | 1u, (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue), (uint)RandomNumberGenerator.GetInt32(int.MaxValue))
    {
    }

    /// <summary>A sender with chosen numbering (tests).</summary>
    public RtpSender(TimeProvider time, uint ssrc, ushort firstSequence, uint timestampOffset)
    {
        _time = time;
        Ssrc = ssrc;
        _nextSequence = firstSequence;
        _timestampOffset = (int)timestampOffset;
        _lastSenderReport = time.GetTimestamp();
    }

    public uint Ssrc { get; }

    /// <summary>What is added to a frame's 90 kHz media time to make its RTP time (random at first, re-based by a seek).</summary>
    public uint TimestampOffset => (uint)Volatile.Read(ref _timestampOffset);

    /// <summary>The sequence number the next packet will carry (for RTP-Info).</summary>
    public ushort NextSequence => (ushort)Volatile.Read(ref _nextSequence);

    public long FramesSent => Interlocked.Read(ref _framesSent);

    public long PacketsSent => Interlocked.Read(ref _packetsSent);

    /// <summary>Payload octets sent (RTP headers not counted, as RFC 3550 6.4.1 asks).</summary>
    public long OctetsSent => Interlocked.Read(ref _octetsSent);

    public long FramesDropped => Interlocked.Read(ref _framesDropped);

    /// <summary>The last RTCP report block the client sent about this sender, if any.</summary>
    public ReportBlock? LastReport { get; private set; }

    /// <summary>Reserves <paramref name="packets"/> sequence numbers for one frame; returns the first and the frame's RTP time.</summary>
    public (ushort FirstSequence, uint Timestamp) Stamp(uint pts, int packets)
    {
        var next = Interlocked.Add(ref _nextSequence, packets);
        var timestamp = RtpTimeOf(pts);
        Volatile.Write(ref _lastTimestamp, timestamp | LastTimestampSet);
        Volatile.Write(ref _lastStampedAt, _time.GetTimestamp());
        return ((ushort)(next - packets), timestamp);
    }

    /// <summary>
    /// A new play starts at media time <paramref name="pts"/> (a seek in a film): its first frame's RTP time follows
    /// the last frame sent by the time gone since (at least one tick), as live555 does, so that a player's clock
    /// never goes back, and RTP-Info announces it. Before any frame is sent, nothing changes. Called while nothing
    /// is being sent.
    /// </summary>
    public void Rebase(uint pts)
    {
        if (Volatile.Read(ref _lastTimestamp) is var last && (last & LastTimestampSet) != 0)
        {
            var since = _time.GetElapsedTime(Volatile.Read(ref _lastStampedAt)).TotalSeconds * 90_000;
            var step = (uint)Math.Clamp(since, 1, int.MaxValue);
            Volatile.Write(ref _timestampOffset, (int)((uint)last + step - pts));
        }
    }

    public uint RtpTimeOf(uint pts) => pts + TimestampOffset;

    /// <summary>Counts a frame sent: <paramref name="payloadOctets"/> without RTP headers.</summary>
    public void Sent(int packets, long payloadOctets)
    {
        Interlocked.Increment(ref _framesSent);
        Interlocked.Add(ref _packetsSent, packets);
        Interlocked.Add(ref _octetsSent, payloadOctets);
    }

    public void Dropped() => Interlocked.Increment(ref _framesDropped);

    public bool SenderReportDue(TimeSpan interval) => _time.GetElapsedTime(Interlocked.Read(ref _lastSenderReport)) >= interval;

    /// <summary>
    /// Writes SR + SDES (+ BYE) into <paramref name="buffer"/> and returns the length. The SR's RTP time is the
    /// latest frame's plus the time since it arrived, so that its NTP and RTP timestamps describe the same instant.
    /// </summary>
    public int WriteReport(Span<byte> buffer, (uint Pts, long ArrivedAt)? latest, bool bye)
    {
        var now = _time.GetTimestamp();
        Interlocked.Exchange(ref _lastSenderReport, now);
        // The RTP time now: from the last frame this sender stamped, when there is one (it holds across a film's
        // re-based plays and pauses); else from the stream's latest frame, as the first frame will be stamped.
        uint rtpTime = 0;
        if (Volatile.Read(ref _lastTimestamp) is var last && (last & LastTimestampSet) != 0)
        {
            rtpTime = (uint)last + (uint)(_time.GetElapsedTime(Volatile.Read(ref _lastStampedAt), now).TotalSeconds * 90_000);
        }
        else if (latest is { } frame)
        {
            var elapsed = _time.GetElapsedTime(frame.ArrivedAt, now);
            rtpTime = RtpTimeOf(frame.Pts + (uint)(elapsed.TotalSeconds * 90_000));
        }

        var info = new SenderInfo(NtpTimestamp.FromDateTime(_time.GetUtcNow()), rtpTime, (uint)PacketsSent, (uint)OctetsSent);
        var length = RtcpWriter.SenderReport(buffer, Ssrc, info);
        length += RtcpWriter.SourceDescription(buffer[length..], Ssrc, Cname);
        if (bye)
        {
            length += RtcpWriter.Goodbye(buffer[length..], Ssrc);
        }

        return length;
    }

    /// <summary>Records a report block about this sender; returns the packets newly reported lost since the last one.</summary>
    public long OnReceiverReport(ReportBlock block)
    {
        LastReport = block;
        var newlyLost = Math.Max(0, block.CumulativeLost - Interlocked.Read(ref _lastReportedLost));
        Interlocked.Exchange(ref _lastReportedLost, block.CumulativeLost);
        return newlyLost;
    }
}
