using System.Buffers.Binary;
using System.Text;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtp;
using GrpcStream.Rtsp.Sdp;
using GrpcStream.Shared.Net;

namespace GrpcStream.Rtsp.Client;

/// <summary>
/// Publishes one JPEG video stream to an RTSP server (RFC 2326 §10.3, §10.11: ANNOUNCE, SETUP with
/// <c>mode=record</c>, RECORD) over an <see cref="RtspClientConnection"/>, then sends frames as RTP (RFC 2435)
/// interleaved on that connection.
/// </summary>
public sealed class RtspPublisher : IAsyncDisposable
{
    private readonly RtspClientConnection _connection;
    private readonly TimeProvider _time;
    private readonly uint _ssrc = (uint)Random.Shared.Next() | 1;
    private readonly RtpJpegPacketizer _packetizer = new();
    private readonly List<ReadOnlyMemory<byte>> _packets = [];
    private PacketizedFrame? _outgoing;
    private ushort _sequence = (ushort)Random.Shared.Next();
    private byte _rtpChannel;

    /// <exception cref="RtspClientException">The URL is not an RTSP one.</exception>
    public RtspPublisher(string url, RtspClientOptions? options = null)
    {
        options ??= new RtspClientOptions();
        _time = options.TimeProvider;
        _connection = new RtspClientConnection(RtspUrls.ParseOrThrow(url), options, readOptions: null);
    }

    /// <summary>The connection the requests go over: its URL, the server's methods, OPTIONS, the traffic.</summary>
    public RtspClientConnection Connection => _connection;

    /// <summary>The URL published to (without credentials).</summary>
    public string Url => _connection.Url;

    public RtspClientState State { get; private set; } = RtspClientState.Init;

    /// <summary>
    /// Announces one JPEG track at <paramref name="frameRate"/>, sets it up with <c>mode=record</c> on interleaved
    /// channels (RTP over UDP is not offered: a publisher behind NAT could not be reached) and starts recording.
    /// Frames then go with <see cref="SendFrameAsync"/>.
    /// </summary>
    public async Task RecordAsync(double frameRate, int width, int height, CancellationToken cancellationToken = default)
    {
        await _connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var local = _connection.LocalEndPoint!.Address;
        var sdp = JpegSessionDescription.Create(_connection.Target.Path.Trim('/'), frameRate, width, height, (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds(), PlainAddress.Of(local).ToString());
        await _connection.SendAsync(RtspMethod.Announce, Url, [], cancellationToken, Encoding.UTF8.GetBytes(sdp.ToString()), "application/sdp").ConfigureAwait(false);
        var response = await _connection.SendAsync(
            RtspMethod.Setup, Url.TrimEnd('/') + "/" + JpegSessionDescription.TrackControl, [(TransportHeader.Name, "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record")], cancellationToken).ConfigureAwait(false);
        var session = SessionHeader.Parse(response.GetHeader(SessionHeader.Name) ?? throw new RtspClientException("SETUP was answered without a session."));

        // The session is the connection's from here: should RECORD fail, disposing still tears it down.
        _connection.BeginSession(session, Url);
        if (response.GetHeader(TransportHeader.Name) is { } chosen && TransportHeader.Parse(chosen) is [{ Interleaved: { } channels }, ..])
        {
            _rtpChannel = (byte)channels.First;
        }

        await _connection.SendAsync(RtspMethod.Record, Url, [(SessionHeader.Name, session.Id)], cancellationToken).ConfigureAwait(false);
        State = RtspClientState.Recording;
    }

    /// <summary>Sends one JPEG (baseline, standard tables: what RFC 2435 carries) as RTP on the recording's channel.</summary>
    /// <exception cref="RtpJpegException">The image is not one RFC 2435 can carry.</exception>
    public async Task SendFrameAsync(ReadOnlyMemory<byte> jpeg, uint rtpTimestamp, CancellationToken cancellationToken = default)
    {
        if (State != RtspClientState.Recording)
        {
            throw new InvalidOperationException("Frames are sent once RecordAsync has been answered.");
        }

        if (!JpegParser.TryParse(jpeg.Span, out var info))
        {
            throw new RtpJpegException(RtpJpegIncompatibility.NotBaseline);
        }

        _outgoing ??= new PacketizedFrame();
        _packetizer.Packetize(jpeg.Span, info, _outgoing);
        _packets.Clear();
        for (var i = 0; i < _outgoing.PacketCount; i++)
        {
            // The payload is preceded by room for the interleaved header (4 bytes) and the RTP header (12).
            var packet = _outgoing.GetPacketWithHeaderRoom(i, PacketizedFrame.HeaderRoom);
            var span = packet.Span;
            span[0] = (byte)'$';
            span[1] = _rtpChannel;
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)(packet.Length - 4));
            new RtpHeader(_outgoing.IsLast(i), RtpJpegHeader.PayloadType, _sequence++, rtpTimestamp, _ssrc).Write(span[4..]);
            _packets.Add(packet);
        }

        await _connection.WriteInterleavedAsync(_packets, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends the publication; the server ends the stream for its players.</summary>
    public async Task TeardownAsync(CancellationToken cancellationToken = default)
    {
        await _connection.SendAsync(RtspMethod.Teardown, Url, [(SessionHeader.Name, _connection.SessionId ?? string.Empty)], cancellationToken).ConfigureAwait(false);
        State = RtspClientState.Init;
        _connection.EndSession();
    }

    /// <summary>Tears the publication down (if the connection still stands) and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _connection.TeardownIfOpenAsync(TeardownAsync).ConfigureAwait(false);

        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
