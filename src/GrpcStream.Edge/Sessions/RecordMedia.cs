using System.Buffers;
using GrpcStream.Edge.Origin;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.Edge.Sessions;

/// <summary>
/// The media of a publisher's session (RFC 2326 §10.3, §10.11): ANNOUNCE gave the stream and its description, SETUP
/// with mode=record the channel its RTP comes on, RECORD starts it. Each RTP packet's JPEG payload is depacketized
/// here (RFC 2435) into whole frames, which go to the origin; a frame with a lost packet is dropped and counted.
/// </summary>
internal sealed class RecordMedia : SessionMedia, IDatagramReceiver, IAsyncDisposable
{
    private readonly RtpJpegDepacketizer _depacketizer;
    private readonly IPublication _publication;
    private readonly EdgeMetrics _metrics;
    private readonly byte _payloadType;
    private readonly TimeProvider _time;
    private uint? _ssrc;

    private volatile bool _recording;

    public RecordMedia(
        string name, string baseUrl, double frameRate, byte payloadType, (int Width, int Height)? size, int maxFrameBytes, IPublication publication, EdgeMetrics metrics, TimeProvider time)
    {
        _time = time;
        _lastDatagram = time.GetTimestamp();
        _payloadType = payloadType;
        Name = name;
        BaseUrl = baseUrl;
        FrameRate = frameRate;
        _depacketizer = new RtpJpegDepacketizer(maxFrameBytes) { ExactSize = size };
        _publication = publication;
        _metrics = metrics;
    }

    public string Name { get; }

    public override string Stream => Name;

    public override string TransportKind => RtpChannel is not null ? "tcp" : UdpSource is not null ? "udp" : string.Empty;

    public override System.Net.IPEndPoint? RtpDestination => null;

    /// <summary>Frames forwarded, and frames lost in transit (incomplete or malformed in RTP, or dropped from the origin queue).</summary>
    public override SessionTraffic Traffic => new(FramesForwarded, 0, 0, _depacketizer.FramesDropped + Volatile.Read(ref _queueDrops));

    /// <summary>The URL the ANNOUNCE named (without a trailing '/'): SETUP and RECORD address it or a track under it.</summary>
    public string BaseUrl { get; }

    public double FrameRate { get; }

    /// <summary>The interleaved channel the publisher's RTP comes on (TCP).</summary>
    public byte? RtpChannel { get; set; }

    /// <summary>Where the publisher's RTP comes from (UDP): its address and RTP client port.</summary>
    public System.Net.IPEndPoint? UdpSource { get; set; }

    /// <summary>When the last datagram came over UDP (<see cref="TimeProvider.GetTimestamp"/>); its RTSP connection is idle meanwhile.</summary>
    public long LastDatagramAt => Volatile.Read(ref _lastDatagram);

    private long _lastDatagram;

    public long FramesForwarded { get; private set; }

    /// <summary>The origin ended the publication (a refusal, or it went away); null while it goes on.</summary>
    public Grpc.Core.Status? OriginFailure => _publication.Failure;

    /// <summary>Whether <paramref name="uri"/> addresses this session's stream or its track.</summary>
    public bool Addresses(string uri)
    {
        var normalized = Normalize(uri);
        return normalized == BaseUrl || (normalized.StartsWith(BaseUrl, StringComparison.Ordinal) && normalized[BaseUrl.Length] == '/');
    }

    /// <summary>A request URI as this session compares them: parsed (host case, escapes), without a trailing '/'.</summary>
    public static string Normalize(string uri) =>
        (Rtsp.Headers.RtspUrl.TryParse(uri, out var url) ? url.ToUri().AbsoluteUri : uri).TrimEnd('/');

    /// <summary>One RTP packet from the publisher. Before RECORD, and from another source than the first, packets are ignored.</summary>
    public void OnRtp(in ReadOnlySequence<byte> packet)
    {
        if (!_recording)
        {
            return;
        }

        if (packet.IsSingleSegment)
        {
            OnRtp(packet.FirstSpan);
            return;
        }

        // A packet split across read buffers: bounded by the 16-bit interleaved length.
        var rented = ArrayPool<byte>.Shared.Rent((int)packet.Length);
        packet.CopyTo(rented);
        OnRtp(rented.AsSpan(0, (int)packet.Length));
        ArrayPool<byte>.Shared.Return(rented);
    }

    /// <summary>One datagram from the publisher's UDP source (see <see cref="UdpSource"/>).</summary>
    public void OnDatagram(ReadOnlySpan<byte> datagram)
    {
        Volatile.Write(ref _lastDatagram, _time.GetTimestamp());
        if (_recording)
        {
            OnRtp(datagram);
        }
    }

    private void OnRtp(ReadOnlySpan<byte> datagram)
    {
        // The payload type the SDP gave the JPEG track (26, or a dynamic one with rtpmap JPEG/90000).
        if (RtpPacket.TryParse(datagram, out var packet) != RtpPacketError.None || packet.Header.PayloadType != _payloadType)
        {
            _metrics.PublishedPacketRejected();
            return;
        }

        // One source per session: the first SSRC seen is the publisher's.
        _ssrc ??= packet.Header.Ssrc;
        if (packet.Header.Ssrc != _ssrc)
        {
            _metrics.PublishedPacketRejected();
            return;
        }

        var dropped = _depacketizer.FramesDropped;
        if (_depacketizer.Push(packet.Header.Timestamp, packet.Header.Marker, packet.PayloadOf(datagram), out var jpeg))
        {
            if (_publication.Offer(jpeg.Span))
            {
                FramesForwarded++;
                _metrics.PublishedFrame();
            }
        }

        if (_depacketizer.FramesDropped > dropped)
        {
            _metrics.PublishedFrameDropped(_depacketizer.LastDropReason switch
            {
                RtpJpegDropReason.MissingPackets or RtpJpegDropReason.TooFarAhead => "incomplete",
                RtpJpegDropReason.Duplicate => "duplicate",
                RtpJpegDropReason.Overlap => "overlap",
                RtpJpegDropReason.OutOfRange => "out_of_range",
                RtpJpegDropReason.TooLarge => "too_large",
                _ => "bad_payload",
            });
        }
    }

    /// <summary>A frame the publication's queue had no room for.</summary>
    public void QueueDropped() => Interlocked.Increment(ref _queueDrops);

    private long _queueDrops;

    // RTP is taken only while the session records.
    protected internal override void Started() => _recording = true;

    protected internal override void Stopped() => _recording = false;

    /// <summary>
    /// Ended from outside (a kick, a drain's deadline): the publisher's connection is closed, and its closing ends
    /// the publication (<see cref="DisposeAsync"/>), as when the publisher goes away by itself.
    /// </summary>
    protected internal override void End() => Session.Owner.Disconnect();

    /// <summary>Ends the publication: the origin holds the stream for the publisher to come back.</summary>
    public ValueTask DisposeAsync() => _publication.DisposeAsync();
}
