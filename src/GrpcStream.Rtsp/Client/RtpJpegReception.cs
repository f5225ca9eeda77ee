using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Rtcp;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.Rtsp.Client;

/// <summary>
/// A player's side of the media: RTP and RTCP packets checked as the session's (port, SSRC, source address), RTP
/// rebuilt into JPEG frames (RFC 2435) and queued, and what was received counted for statistics and for RTCP
/// receiver reports. Packets arrive from UDP receive loops or the connection's read loop, on their threads.
/// </summary>
internal sealed class RtpJpegReception
{
    private readonly TimeProvider _time;
    private readonly bool _deliverFrames;
    private readonly RtpJpegDepacketizer _depacketizer;
    private readonly ReceptionStatistics _reception = new();
    private readonly ReceivedFrameQueue _queue;
    private readonly Lock _gate = new();
    private long _playStarted;
    private long _firstFrameAt;
    private TimeSpan? _firstFrameLatency;
    private long _frameCount;
    private long _frameBytes;
    private uint _serverSsrc;
    private bool _serverSsrcKnown;
    private int? _serverRtpPort;
    private int? _serverRtcpPort;
    private UInt128? _serverAddress;
    private UInt128? _latchedAddress;
    private bool _serverAddressSeen;
    private long _rejectedPackets;
    private uint _lastSenderReport;
    private long _lastSenderReportAt;

    public RtpJpegReception(RtspPlayerOptions options)
    {
        _time = options.TimeProvider;
        _deliverFrames = options.DeliverFrames;
        _depacketizer = new RtpJpegDepacketizer(options.MaxFrameBytes, keepFrames: options.DeliverFrames);
        _queue = new ReceivedFrameQueue(options.FrameBuffer, options.FrameBufferBytes);
    }

    public ReceivedFrameQueue Frames => _queue;

    /// <summary>The described picture size, when the SDP gave one: frames are rebuilt at exactly that size.</summary>
    public (int Width, int Height)? ExactSize
    {
        set => _depacketizer.ExactSize = value;
    }

    /// <summary>The server that SETUP named: packets from elsewhere, or with another SSRC, are rejected.</summary>
    /// <param name="ssrc">The SSRC the server announced; without it, the first packet from the server's port names it.</param>
    /// <param name="address">The server's address, for UDP; null for interleaved RTP, which has none to check.</param>
    /// <param name="rtpPort">The server's RTP port, when it named one (UDP).</param>
    /// <param name="rtcpPort">The server's RTCP port, when it named one (UDP).</param>
    public void Expect(uint? ssrc, UInt128? address, int? rtpPort, int? rtcpPort)
    {
        lock (_gate)
        {
            _serverSsrc = ssrc ?? 0;
            _serverSsrcKnown = ssrc is not null;
            _serverAddress = address ?? _serverAddress;
            _serverRtpPort = rtpPort ?? _serverRtpPort;
            _serverRtcpPort = rtcpPort ?? _serverRtcpPort;
        }
    }

    /// <summary>PLAY is being sent: the first frame's latency and the frames' arrival times count from now.</summary>
    public void PlayStarting() => _playStarted = _time.GetTimestamp();

    public void OnRtp(ReadOnlySpan<byte> datagram, DatagramSource? from)
    {
        if (RtpPacket.TryParse(datagram, out var packet) != RtpPacketError.None || packet.Header.PayloadType != RtpJpegHeader.PayloadType && packet.Header.PayloadType < 96)
        {
            return;
        }

        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (!FromServer(from, _serverRtpPort, packet.Header.Ssrc, learn: true))
            {
                return;
            }

            _reception.OnPacket(packet.Header.SequenceNumber, packet.Header.Timestamp, (long)(now * 90_000.0 / _time.TimestampFrequency));

            if (!_depacketizer.Push(packet.Header.Timestamp, packet.Header.Marker, packet.PayloadOf(datagram), out var jpeg))
            {
                return;
            }

            if (_firstFrameAt == 0)
            {
                _firstFrameAt = now;
                _firstFrameLatency = _playStarted == 0 ? null : _time.GetElapsedTime(_playStarted, now);
            }

            Interlocked.Increment(ref _frameCount);
            Interlocked.Add(ref _frameBytes, _depacketizer.LastFrameLength);
            if (_deliverFrames)
            {
                _queue.Add(jpeg.Span, packet.Header.Timestamp, _playStarted == 0 ? TimeSpan.Zero : _time.GetElapsedTime(_playStarted, now));
            }
        }
    }

    public void OnRtcp(ReadOnlySpan<byte> compound, DatagramSource? from)
    {
        var reader = new RtcpReader(compound);
        while (reader.TryRead(out var packet))
        {
            if (packet.Type == RtcpPacketType.SenderReport && packet.TryGetSenderInfo(out var info))
            {
                lock (_gate)
                {
                    if (!FromServer(from, _serverRtcpPort, packet.Ssrc, learn: false))
                    {
                        return;
                    }
                }

                _lastSenderReport = info.Ntp.Middle32;
                _lastSenderReportAt = _time.GetTimestamp();
            }
        }
    }

    /// <summary>The report block of an RTCP receiver report on the server's stream (RFC 3550 §6.4.2).</summary>
    public ReportBlock CreateReportBlock()
    {
        lock (_gate)
        {
            var delay = _lastSenderReportAt == 0 ? 0u : (uint)(_time.GetElapsedTime(_lastSenderReportAt).TotalSeconds * 65536);
            return _reception.CreateReportBlock(_serverSsrc, _lastSenderReport, delay);
        }
    }

    public RtspPlayerStatistics GetStatistics()
    {
        lock (_gate)
        {
            var frames = Interlocked.Read(ref _frameCount);
            var elapsed = _firstFrameAt == 0 ? TimeSpan.Zero : _time.GetElapsedTime(_firstFrameAt);
            return new RtspPlayerStatistics(
                frames,
                Interlocked.Read(ref _frameBytes),
                _reception.Received,
                _reception.Lost,
                _queue.Dropped + _depacketizer.FramesDropped,
                _reception.Jitter / 90.0,
                frames > 1 && elapsed > TimeSpan.Zero ? (frames - 1) / elapsed.TotalSeconds : 0,
                _firstFrameLatency,
                Interlocked.Read(ref _rejectedPackets));
        }
    }

    /// <summary>
    /// Whether a packet is the session's: from the port the server announced (when it did), with the session's SSRC
    /// (announced, or learned from the first packet that passes the port check), and from the RTSP server's address
    /// or, when none has come from there, from the one other address latched by the first such packet. Behind
    /// Docker's published ports RTP comes from the container's address, the only one: it is latched; a host that
    /// learned the SSRC and port cannot then inject from a second address. Call under the lock.
    /// </summary>
    private bool FromServer(DatagramSource? from, int? serverPort, uint ssrc, bool learn)
    {
        if ((from is { } source && serverPort is not null && source.Port != serverPort) || (_serverSsrcKnown && ssrc != _serverSsrc))
        {
            Interlocked.Increment(ref _rejectedPackets);
            return false;
        }

        if (from is { Address: var address } && _serverAddress is { } server && address != server)
        {
            if (_latchedAddress is null && !_serverAddressSeen && learn)
            {
                _latchedAddress = address;
            }
            else if (address != _latchedAddress)
            {
                Interlocked.Increment(ref _rejectedPackets);
                return false;
            }
        }
        else if (from is not null && learn && _latchedAddress is null)
        {
            _serverAddressSeen = true;
        }

        if (!_serverSsrcKnown && learn)
        {
            _serverSsrc = ssrc;
            _serverSsrcKnown = true;
        }

        return true;
    }
}
