using System.Net;
using System.Text;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtcp;
using GrpcStream.Rtsp.Sdp;

namespace GrpcStream.Rtsp.Client;

/// <summary>
/// Plays one JPEG video stream from any standard RTSP server (RFC 2326 appendix A.2: DESCRIBE, SETUP, PLAY, PAUSE,
/// TEARDOWN) over an <see cref="RtspClientConnection"/>. It receives RTP over UDP or TCP interleaved, rebuilds
/// JPEG frames (RFC 2435) and sends RTCP receiver reports.
/// </summary>
public sealed class RtspPlayer : IAsyncDisposable, IInterleavedReceiver
{
    private readonly RtspPlayerOptions _options;
    private readonly RtspClientConnection _connection;
    private readonly RtpJpegReception _reception;

    // Over rtsps:// RTP is interleaved on the TLS connection: over UDP it would travel in clear.
    private readonly RtspTransport _transport;
    private readonly uint _ssrc = (uint)Random.Shared.Next() | 1;
    private UdpMediaSockets? _udp;
    private IPEndPoint? _serverRtcp;
    private byte _rtpChannel;
    private byte _rtcpChannel = 1;
    private string? _controlUrl;
    private string? _baseUrl;
    private ITimer? _reports;

    /// <exception cref="RtspClientException">The URL is not an RTSP one.</exception>
    public RtspPlayer(string url, RtspPlayerOptions? options = null)
    {
        _options = options ?? new RtspPlayerOptions();
        var parsed = RtspUrls.ParseOrThrow(url);
        _connection = new RtspClientConnection(parsed, _options, _options.DeliverFrames ? null : InterleavedReads.LoadGenerator);
        _connection.Attach(this);
        _reception = new RtpJpegReception(_options);
        _transport = parsed.IsSecure ? RtspTransport.Tcp : _options.Transport;
    }

    /// <summary>The connection the requests go over: its URL, the server's methods, OPTIONS, the traffic.</summary>
    public RtspClientConnection Connection => _connection;

    /// <summary>The URL requests go to (without credentials).</summary>
    public string Url => _connection.Url;

    public RtspClientState State { get; private set; } = RtspClientState.Init;

    /// <summary>The server's description, once DESCRIBE has been answered.</summary>
    public SessionDescription? Description { get; private set; }

    /// <summary>Interleaved payloads that arrived split across two read buffers (and were copied whole): for tests.</summary>
    internal long StraddledPayloads => _connection.StraddledPayloads;

    /// <summary>Asks for the session description and picks the JPEG video track to play.</summary>
    /// <exception cref="RtspClientException">The description has no JPEG video track.</exception>
    public async Task<SessionDescription> DescribeAsync(CancellationToken cancellationToken = default)
    {
        var response = await _connection.SendAsync(RtspMethod.Describe, Url, [("Accept", "application/sdp")], cancellationToken).ConfigureAwait(false);
        var description = SessionDescription.Parse(Encoding.UTF8.GetString(response.Body.Span));
        _baseUrl = response.GetHeader("Content-Base") ?? response.GetHeader("Content-Location") ?? Url;
        var video = description.Media.FirstOrDefault(m => m.Media == "video" && m.PayloadType is { } pt && m.RtpMap(pt)?.Encoding.Equals("JPEG", StringComparison.OrdinalIgnoreCase) == true)
            ?? throw new RtspClientException($"{Url} has no JPEG video track.");
        _controlUrl = RtspUrl.ResolveControl(_baseUrl, video.Control ?? "*");
        _reception.ExactSize = video.Dimensions;
        Description = description;
        return description;
    }

    /// <summary>Sets up the JPEG track (describing the stream first if it has not been), over UDP or interleaved.</summary>
    public async Task SetupAsync(CancellationToken cancellationToken = default)
    {
        if (_controlUrl is null)
        {
            await DescribeAsync(cancellationToken).ConfigureAwait(false);
        }

        string transport;
        if (_transport == RtspTransport.Udp)
        {
            var port = OpenUdp().RtpPort;
            transport = $"RTP/AVP;unicast;client_port={port}-{port + 1}";
        }
        else
        {
            transport = $"RTP/AVP/TCP;unicast;interleaved={_rtpChannel}-{_rtcpChannel}";
        }

        List<(string, string)> headers = [(TransportHeader.Name, transport)];
        if (_connection.SessionId is { } existing)
        {
            headers.Add((SessionHeader.Name, existing));
        }

        var response = await _connection.SendAsync(RtspMethod.Setup, _controlUrl!, headers, cancellationToken).ConfigureAwait(false);
        var session = SessionHeader.Parse(response.GetHeader(SessionHeader.Name) ?? throw new RtspClientException("SETUP was answered without a session."));
        _connection.BeginSession(session, _baseUrl ?? Url);
        if (response.GetHeader(TransportHeader.Name) is { } chosen && TransportHeader.Parse(chosen) is [var spec, ..])
        {
            Accept(spec);
        }

        State = RtspClientState.Ready;
    }

    /// <summary>Starts (or resumes) the stream, setting it up first if it has not been.</summary>
    public async Task PlayAsync(CancellationToken cancellationToken = default)
    {
        if (_connection.SessionId is null)
        {
            await SetupAsync(cancellationToken).ConfigureAwait(false);
        }

        _reception.PlayStarting();
        await _connection.SendAsync(RtspMethod.Play, _baseUrl ?? Url, [(SessionHeader.Name, _connection.SessionId!), (RangeHeader.Name, "npt=0.000-")], cancellationToken).ConfigureAwait(false);
        State = RtspClientState.Playing;
        _reports ??= _options.TimeProvider.CreateTimer(_ => SendReceiverReport(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
    }

    public async Task PauseAsync(CancellationToken cancellationToken = default)
    {
        await _connection.SendAsync(RtspMethod.Pause, _baseUrl ?? Url, [(SessionHeader.Name, _connection.SessionId ?? string.Empty)], cancellationToken).ConfigureAwait(false);
        State = RtspClientState.Ready;
    }

    /// <summary>Ends the session; the frames read so far end too.</summary>
    public async Task TeardownAsync(CancellationToken cancellationToken = default)
    {
        await _connection.SendAsync(RtspMethod.Teardown, _baseUrl ?? Url, [(SessionHeader.Name, _connection.SessionId ?? string.Empty)], cancellationToken).ConfigureAwait(false);
        State = RtspClientState.Init;
        _connection.EndSession();
        _reception.Frames.Complete();
    }

    /// <summary>The frames as they arrive, until the session is torn down or the connection ends.</summary>
    public IAsyncEnumerable<ReceivedFrame> ReadFramesAsync(CancellationToken cancellationToken = default) =>
        _reception.Frames.ReadAllAsync(cancellationToken);

    public RtspPlayerStatistics GetStatistics() => _reception.GetStatistics();

    bool IInterleavedReceiver.Accepts(byte channel) => channel == _rtpChannel || channel == _rtcpChannel;

    void IInterleavedReceiver.Receive(byte channel, ReadOnlySpan<byte> payload)
    {
        if (channel == _rtpChannel)
        {
            _reception.OnRtp(payload, from: null);
        }
        else
        {
            _reception.OnRtcp(payload, from: null);
        }
    }

    void IInterleavedReceiver.ConnectionClosed() => _reception.Frames.Complete();

    // What the server chose: its SSRC, its channels or ports, and (for UDP) the address packets must come from.
    private void Accept(TransportSpec spec)
    {
        if (spec.Interleaved is { } channels)
        {
            (_rtpChannel, _rtcpChannel) = ((byte)channels.First, (byte)channels.Second);
        }

        var server = _connection.RemoteEndPoint;
        var address = spec.LowerTransport != LowerTransport.Tcp && server is not null ? DatagramSource.AddressOf(server.Address) : (UInt128?)null;
        int? rtpPort = null;
        int? rtcpPort = null;
        if (spec.ServerPorts is { } ports && server is not null)
        {
            rtpPort = ports.First;
            rtcpPort = ports.Second != ports.First ? ports.Second : ports.First + 1;
            _serverRtcp = new IPEndPoint(server.Address, rtcpPort.Value);
        }

        _reception.Expect(spec.Ssrc, address, rtpPort, rtcpPort);
    }

    private UdpMediaSockets OpenUdp()
    {
        if (_udp is null)
        {
            _udp = new UdpMediaSockets(_options.RtpPort);
            _udp.Start(_reception.OnRtp, _reception.OnRtcp, batch: !_options.DeliverFrames, gro: _options.UdpGro);
        }

        return _udp;
    }

    private void SendReceiverReport()
    {
        if (State != RtspClientState.Playing)
        {
            return;
        }

        var block = _reception.CreateReportBlock();
        var buffer = new byte[256];
        var length = RtcpWriter.ReceiverReport(buffer, _ssrc, [block]);
        length += RtcpWriter.SourceDescription(buffer.AsSpan(length), _ssrc, "grpcstream-client");
        try
        {
            if (_transport == RtspTransport.Udp)
            {
                if (_serverRtcp is not null)
                {
                    _udp?.SendRtcp(buffer.AsSpan(0, length), _serverRtcp);
                }
            }
            else
            {
                var framed = new byte[InterleavedFrame.HeaderSize + length];
                RtspWriter.WriteInterleavedHeader(framed, _rtcpChannel, length);
                buffer.AsSpan(0, length).CopyTo(framed.AsSpan(InterleavedFrame.HeaderSize));
                _connection.TryWriteInterleaved(framed);
            }
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // Reports are best effort.
        }
    }

    /// <summary>Tears the session down (if the connection still stands) and closes everything.</summary>
    public async ValueTask DisposeAsync()
    {
        await _connection.TeardownIfOpenAsync(TeardownAsync).ConfigureAwait(false);

        _reports?.Dispose();
        _udp?.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
        _reception.Frames.Complete();
    }
}
