using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtcp;
using GrpcStream.Rtsp.Rtp;
using GrpcStream.Rtsp.Sdp;
using GrpcStream.Shared.Net;

namespace GrpcStream.Rtsp.Client;

/// <summary>
/// An RTSP client for one JPEG video stream, shaped like the classic lab client
/// (<c>new RtspClient(host, port, rtpPort, "movie.Mjpeg")</c>, then Setup, Play, Pause, Teardown) and usable
/// with any standard server. It follows the server's state, receives RTP over UDP or TCP interleaved, rebuilds
/// JPEG frames (RFC 2435), sends RTCP receiver reports and keepalives, and answers Basic or Digest challenges.
/// </summary>
public sealed class RtspClient : IAsyncDisposable
{
    private readonly RtspUrl _url;
    private readonly RtspClientOptions _options;

    // Over rtsps:// RTP is interleaved on the TLS connection: over UDP it would travel in clear.
    private readonly RtspTransport _transport;
    private readonly TimeProvider _time;
    private readonly RtspMessageReader _reader = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<RtspMessage>> _pending = new();
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly Channel<ReceivedFrame> _frames;
    private readonly RtpJpegDepacketizer _depacketizer;
    private readonly ReceptionStatistics _reception = new();
    private readonly Lock _statsGate = new();
    private readonly CancellationTokenSource _closed = new();
    private readonly DigestAuthenticator _authenticator;
    private bool _warnedBasic;

    private TcpClient? _tcp;
    private Stream? _stream;
    private Task? _readLoop;
    private UdpClient? _rtpSocket;
    private UdpClient? _rtcpSocket;
    private IPEndPoint? _serverRtcp;
    private byte _rtpChannel;
    private byte _rtcpChannel = 1;
    private int _cseq;
    private string? _controlUrl;
    private string? _baseUrl;
    private int _sessionTimeoutSeconds = 60;
    private ITimer? _keepAlive;
    private ITimer? _reports;
    private long _playStarted;
    private long _firstFrameAt;
    private TimeSpan? _firstFrameLatency;
    private long _frameCount;
    private long _frameBytes;
    private long _droppedFrames;
    private uint _serverSsrc;
    private bool _serverSsrcKnown;
    private int? _serverRtpPort;
    private int? _serverRtcpPort;
    private UInt128? _serverAddress;
    private UInt128? _latchedAddress;
    private bool _serverAddressSeen;
    private long _rejectedPackets;
    private long _queuedFrameBytes;
    private Exception? _readFailure;
    private long _straddledPayloads;
    private uint _lastSenderReport;
    private long _lastSenderReportAt;
    private readonly uint _ssrc = (uint)Random.Shared.Next() | 1;
    private readonly RtpJpegPacketizer _packetizer = new();
    private PacketizedFrame? _outgoing;
    private ushort _sendSequence = (ushort)Random.Shared.Next();

    /// <summary>The lab client's shape: server host and port, the local RTP port, the stream name.</summary>
    public RtspClient(string host, int port, int rtpPort, string streamName)
        : this($"rtsp://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port.ToString(CultureInfo.InvariantCulture)}/{streamName}", new RtspClientOptions { RtpPort = rtpPort })
    {
    }

    public RtspClient(string url, RtspClientOptions? options = null)
    {
        _url = RtspUrls.ParseOrThrow(url);
        _options = options ?? new RtspClientOptions();
        _time = _options.TimeProvider;
        _authenticator = _options.UserName is { } user
            ? new DigestAuthenticator(user, _options.Password)
            : new DigestAuthenticator(_url.UserName, _url.Password);
        _depacketizer = new RtpJpegDepacketizer(_options.MaxFrameBytes, keepFrames: _options.DeliverFrames);
        _transport = _url.IsSecure ? RtspTransport.Tcp : _options.Transport;
        Url = _url.ToString();

        // Bounded in frames and, below, in bytes: a slow consumer of large frames loses the oldest, never memory.
        _frames = Channel.CreateBounded<ReceivedFrame>(
            new BoundedChannelOptions(_options.FrameBuffer) { FullMode = BoundedChannelFullMode.DropOldest },
            dropped =>
            {
                Interlocked.Add(ref _queuedFrameBytes, -dropped.Jpeg.Length);
                Interlocked.Increment(ref _droppedFrames);
            });
    }

    /// <summary>The URL requests go to (without credentials).</summary>
    public string Url { get; }

    public RtspClientState State { get; private set; } = RtspClientState.Init;

    public string? SessionId { get; private set; }

    /// <summary>The server's description, once DESCRIBE has been answered.</summary>
    public SessionDescription? Description { get; private set; }

    /// <summary>The methods the server listed in its answer to OPTIONS.</summary>
    public IReadOnlyList<string> ServerMethods { get; private set; } = [];

    /// <summary>Interleaved payloads that arrived split across two read buffers (and were copied whole): for tests.</summary>
    internal long StraddledPayloads => Volatile.Read(ref _straddledPayloads);

    /// <summary>Raised for every request sent and response received, with the text as on the wire.</summary>
    public event Action<string>? Traffic;

    public async Task<RtspResponse> OptionsAsync(CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(RtspMethod.Options, Url, [], cancellationToken).ConfigureAwait(false);
        ServerMethods = (response.GetHeader("Public") ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return response;
    }

    /// <summary>Asks for the session description and picks the JPEG video track to play.</summary>
    public async Task<SessionDescription> DescribeAsync(CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(RtspMethod.Describe, Url, [("Accept", "application/sdp")], cancellationToken).ConfigureAwait(false);
        var description = SessionDescription.Parse(Encoding.UTF8.GetString(response.Body.Span));
        _baseUrl = response.GetHeader("Content-Base") ?? response.GetHeader("Content-Location") ?? Url;
        var video = description.Media.FirstOrDefault(m => m.Media == "video" && m.PayloadType is { } pt && m.RtpMap(pt)?.Encoding.Equals("JPEG", StringComparison.OrdinalIgnoreCase) == true)
            ?? throw new RtspClientException($"{Url} has no JPEG video track.");
        _controlUrl = RtspUrl.ResolveControl(_baseUrl, video.Control ?? "*");
        _depacketizer.ExactSize = video.Dimensions;
        Description = description;
        return description;
    }

    public async Task SetupAsync(CancellationToken cancellationToken = default)
    {
        if (_controlUrl is null)
        {
            await DescribeAsync(cancellationToken).ConfigureAwait(false);
        }

        string transport;
        if (_transport == RtspTransport.Udp)
        {
            OpenUdp();
            var port = ((IPEndPoint)_rtpSocket!.Client.LocalEndPoint!).Port;
            transport = $"RTP/AVP;unicast;client_port={port}-{port + 1}";
        }
        else
        {
            transport = $"RTP/AVP/TCP;unicast;interleaved={_rtpChannel}-{_rtcpChannel}";
        }

        List<(string, string)> headers = [(TransportHeader.Name, transport)];
        if (SessionId is not null)
        {
            headers.Add((SessionHeader.Name, SessionId));
        }

        var response = await SendAsync(RtspMethod.Setup, _controlUrl!, headers, cancellationToken).ConfigureAwait(false);
        var session = SessionHeader.Parse(response.GetHeader(SessionHeader.Name) ?? throw new RtspClientException("SETUP was answered without a session."));
        SessionId = session.Id;
        _sessionTimeoutSeconds = session.TimeoutSeconds ?? 60;
        if (response.GetHeader(TransportHeader.Name) is { } chosen && TransportHeader.Parse(chosen) is [var spec, ..])
        {
            lock (_statsGate)
            {
                // Announced, the SSRC filters from the first packet; otherwise the first packet from the server's port names it.
                _serverSsrc = spec.Ssrc ?? 0;
                _serverSsrcKnown = spec.Ssrc is not null;
            }

            if (spec.Interleaved is { } channels)
            {
                (_rtpChannel, _rtcpChannel) = ((byte)channels.First, (byte)channels.Second);
            }

            if (spec.LowerTransport != LowerTransport.Tcp && _tcp?.Client.RemoteEndPoint is IPEndPoint peer)
            {
                _serverAddress = DatagramSource.AddressOf(peer.Address);
            }

            if (spec.ServerPorts is { } ports && _tcp?.Client.RemoteEndPoint is IPEndPoint server)
            {
                _serverRtpPort = ports.First;
                _serverRtcpPort = ports.Second != ports.First ? ports.Second : ports.First + 1;
                _serverRtcp = new IPEndPoint(server.Address, _serverRtcpPort.Value);
            }
        }

        State = RtspClientState.Ready;
        var interval = TimeSpan.FromSeconds(Math.Max(5, _sessionTimeoutSeconds / 2.0));
        _keepAlive ??= _time.CreateTimer(_ => _ = KeepAliveAsync(), null, interval, interval);
    }

    public async Task PlayAsync(CancellationToken cancellationToken = default)
    {
        if (SessionId is null)
        {
            await SetupAsync(cancellationToken).ConfigureAwait(false);
        }

        _playStarted = _time.GetTimestamp();
        await SendAsync(RtspMethod.Play, _baseUrl ?? Url, [(SessionHeader.Name, SessionId!), (RangeHeader.Name, "npt=0.000-")], cancellationToken).ConfigureAwait(false);
        State = RtspClientState.Playing;
        _reports ??= _time.CreateTimer(_ => SendReceiverReport(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
    }

    public async Task PauseAsync(CancellationToken cancellationToken = default)
    {
        await SendAsync(RtspMethod.Pause, _baseUrl ?? Url, [(SessionHeader.Name, SessionId ?? string.Empty)], cancellationToken).ConfigureAwait(false);
        State = RtspClientState.Ready;
    }

    public async Task TeardownAsync(CancellationToken cancellationToken = default)
    {
        await SendAsync(RtspMethod.Teardown, _baseUrl ?? Url, [(SessionHeader.Name, SessionId ?? string.Empty)], cancellationToken).ConfigureAwait(false);
        State = RtspClientState.Init;
        SessionId = null;
        _frames.Writer.TryComplete();
    }

    /// <summary>
    /// Publishes to the URL (RFC 2326 §10.3, §10.11): ANNOUNCE of one JPEG track at <paramref name="frameRate"/>,
    /// SETUP of it with <c>mode=record</c> on interleaved channels (TCP, whatever the transport option says), RECORD.
    /// Frames then go with <see cref="SendFrameAsync"/>.
    /// </summary>
    public async Task RecordAsync(double frameRate, int width, int height, CancellationToken cancellationToken = default)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var local = ((IPEndPoint)_tcp!.Client.LocalEndPoint!).Address;
        var sdp = JpegSessionDescription.Create(_url.Path.Trim('/'), frameRate, width, height, (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds(), PlainAddress.Of(local).ToString());
        await SendAsync(RtspMethod.Announce, Url, [], cancellationToken, Encoding.UTF8.GetBytes(sdp.ToString()), "application/sdp").ConfigureAwait(false);
        var response = await SendAsync(
            RtspMethod.Setup, Url.TrimEnd('/') + "/" + JpegSessionDescription.TrackControl, [(TransportHeader.Name, "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record")], cancellationToken).ConfigureAwait(false);
        var session = SessionHeader.Parse(response.GetHeader(SessionHeader.Name) ?? throw new RtspClientException("SETUP was answered without a session."));
        SessionId = session.Id;
        _sessionTimeoutSeconds = session.TimeoutSeconds ?? 60;
        if (response.GetHeader(TransportHeader.Name) is { } chosen && TransportHeader.Parse(chosen) is [{ Interleaved: { } channels }, ..])
        {
            _rtpChannel = (byte)channels.First;
        }

        await SendAsync(RtspMethod.Record, Url, [(SessionHeader.Name, SessionId)], cancellationToken).ConfigureAwait(false);
        State = RtspClientState.Recording;
        var interval = TimeSpan.FromSeconds(Math.Max(5, _sessionTimeoutSeconds / 2.0));
        _keepAlive ??= _time.CreateTimer(_ => _ = KeepAliveAsync(), null, interval, interval);
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
        await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var i = 0; i < _outgoing.PacketCount; i++)
            {
                // The payload is preceded by room for the interleaved header (4 bytes) and the RTP header (12).
                var packet = _outgoing.GetPacketWithHeaderRoom(i, PacketizedFrame.HeaderRoom);
                var span = packet.Span;
                span[0] = (byte)'$';
                span[1] = _rtpChannel;
                BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)(packet.Length - 4));
                new RtpHeader(_outgoing.IsLast(i), RtpJpegHeader.PayloadType, _sendSequence++, rtpTimestamp, _ssrc).Write(span[4..]);
                await _stream!.WriteAsync(packet, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>The frames as they arrive, until the session is torn down or the connection ends.</summary>
    public async IAsyncEnumerable<ReceivedFrame> ReadFramesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var frame in _frames.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            Interlocked.Add(ref _queuedFrameBytes, -frame.Jpeg.Length);
            yield return frame;
        }
    }

    public RtspClientStatistics GetStatistics()
    {
        lock (_statsGate)
        {
            var frames = Interlocked.Read(ref _frameCount);
            var elapsed = _firstFrameAt == 0 ? TimeSpan.Zero : _time.GetElapsedTime(_firstFrameAt);
            return new RtspClientStatistics(
                frames,
                Interlocked.Read(ref _frameBytes),
                _reception.Received,
                _reception.Lost,
                Interlocked.Read(ref _droppedFrames) + _depacketizer.FramesDropped,
                _reception.Jitter / 90.0,
                frames > 1 && elapsed > TimeSpan.Zero ? (frames - 1) / elapsed.TotalSeconds : 0,
                _firstFrameLatency,
                Interlocked.Read(ref _rejectedPackets));
        }
    }

    private async Task<RtspResponse> SendAsync(
        RtspMethod method, string uri, IReadOnlyList<(string Name, string Value)> headers, CancellationToken cancellationToken, ReadOnlyMemory<byte> body = default, string? contentType = null)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var response = await ExchangeAsync(method, uri, headers, cancellationToken, body, contentType).ConfigureAwait(false);
        if (response.StatusCode == RtspStatusCode.Unauthorized && _authenticator.CanAnswer && _authenticator.Challenge(response.GetHeaders("WWW-Authenticate")))
        {
            if (_authenticator.Scheme == "Basic" && !_warnedBasic)
            {
                _warnedBasic = true;
                _options.Warning?.Invoke("the server accepts only Basic authentication: the password crosses the network readable by anyone on the way");
            }

            response = await ExchangeAsync(method, uri, headers, cancellationToken, body, contentType).ConfigureAwait(false);
        }

        if (response.StatusCode is < 200 or >= 300)
        {
            throw new RtspStatusException(method, response.StatusCode, response.ReasonPhrase);
        }

        return new RtspResponse(response);
    }

    private async Task<RtspMessage> ExchangeAsync(
        RtspMethod method, string uri, IReadOnlyList<(string Name, string Value)> headers, CancellationToken cancellationToken, ReadOnlyMemory<byte> body = default, string? contentType = null)
    {
        var cseq = Interlocked.Increment(ref _cseq);
        var output = new ArrayBufferWriter<byte>(512);
        var writer = new RtspWriter(output);
        writer.WriteRequestLine(method, uri);
        writer.WriteCSeq(cseq);
        writer.WriteHeader("User-Agent", _options.UserAgent);
        if (_authenticator.Authorization(method.Name(), uri) is { } authorization)
        {
            writer.WriteHeader("Authorization", authorization);
        }

        foreach (var (name, value) in headers)
        {
            writer.WriteHeader(name, value);
        }

        writer.WriteEnd(body.Span, contentType);
        var pending = new TaskCompletionSource<RtspMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[cseq] = pending;
        try
        {
            Traffic?.Invoke(Encoding.UTF8.GetString(output.WrittenSpan));
            await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _stream!.WriteAsync(output.WrittenMemory, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _sendGate.Release();
            }

            var response = await pending.Task.WaitAsync(_options.RequestTimeout, _time, cancellationToken).ConfigureAwait(false);
            Traffic?.Invoke(Describe(response));
            return response;
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{method.Name()} {uri}: no answer within {_options.RequestTimeout.TotalSeconds:0.#} s.");
        }
        finally
        {
            _pending.TryRemove(cseq, out _);
        }
    }

    private static string Describe(RtspMessage response)
    {
        var text = new StringBuilder($"RTSP/1.0 {response.StatusCode} {response.ReasonPhrase}\r\n");
        for (var i = 0; i < response.HeaderCount; i++)
        {
            text.Append(Encoding.ASCII.GetString(response.GetHeaderName(i))).Append(": ").Append(Encoding.UTF8.GetString(response.GetHeaderValue(i))).Append("\r\n");
        }

        text.Append("\r\n").Append(Encoding.UTF8.GetString(response.Body.Span));
        return text.ToString();
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (_tcp is not null)
        {
            if (_readLoop!.IsCompleted)
            {
                throw _readFailure is RtspProtocolException broken
                    ? new RtspProtocolException(broken.Error, broken.Message)
                    : new IOException("The connection to the server is closed.");
            }

            return;
        }

        _tcp = new TcpClient(AddressFamily.InterNetworkV6) { NoDelay = true };
        _tcp.Client.DualMode = true;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            await _tcp.ConnectAsync(_url.Host, _url.Port, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Could not connect to {_url.Host}:{_url.Port} within {_options.ConnectTimeout.TotalSeconds:0.#} s.");
        }

        _stream = _tcp.GetStream();
        if (_url.IsSecure)
        {
            var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
            _stream = tls;
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            handshake.CancelAfter(_options.ConnectTimeout);
            try
            {
                await tls.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = _url.Host,
                        RemoteCertificateValidationCallback = TlsTrust.Validator(_options.TlsCaPath, _options.AcceptAnyCertificate),
                    },
                    handshake.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The TLS handshake with {_url.Host}:{_url.Port} did not finish within {_options.ConnectTimeout.TotalSeconds:0.#} s.");
            }
            catch (System.Security.Authentication.AuthenticationException ex)
            {
                throw new RtspTlsException($"TLS with {_url.Host}:{_url.Port} failed: {ex.Message}");
            }
        }

        _readLoop = Task.Run(ReadLoopAsync, CancellationToken.None);
    }

    private async Task ReadLoopAsync()
    {
        var input = PipeReader.Create(_stream!, _options.DeliverFrames ? null : InterleavedReads.LoadGenerator);
        var message = new RtspMessage();
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(_closed.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (true)
                {
                    var read = _reader.TryRead(buffer, message, out var frame, out var consumed);
                    if (read == RtspReadResult.NeedMoreData)
                    {
                        buffer = buffer.Slice(consumed);
                        break;
                    }

                    if (read == RtspReadResult.Message && !message.IsRequest && _pending.TryGetValue(message.CSeq, out var pending))
                    {
                        pending.TrySetResult(message.Clone());
                    }
                    else if (read == RtspReadResult.InterleavedFrame)
                    {
                        OnInterleaved(frame);
                    }

                    buffer = buffer.Slice(consumed);
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (RtspProtocolException ex)
        {
            // Something no RTSP server sends, or past the client's limits (a body of gigabytes): nothing after it
            // can be trusted to be framed right, so the connection ends, and the requests waiting say why.
            _readFailure = ex;
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Connection closed: pending requests fail below.
        }
        finally
        {
            foreach (var pending in _pending.Values)
            {
                pending.TrySetException(_readFailure ?? new IOException("The server closed the connection."));
            }

            _frames.Writer.TryComplete();
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    // A payload that straddles two of the pipe's buffers is copied into a pooled one for the handlers, which take
    // a span: with large reads that is one packet in many, and it allocates nothing.
    private void OnInterleaved(in InterleavedFrame frame)
    {
        if (frame.Channel != _rtpChannel && frame.Channel != _rtcpChannel)
        {
            return;
        }

        if (frame.Payload.IsSingleSegment)
        {
            Dispatch(frame.Channel, frame.Payload.FirstSpan);
            return;
        }

        var length = (int)frame.Payload.Length;
        var scratch = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            frame.Payload.CopyTo(scratch);
            _straddledPayloads++;
            Dispatch(frame.Channel, scratch.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private void Dispatch(byte channel, ReadOnlySpan<byte> payload)
    {
        if (channel == _rtpChannel)
        {
            OnRtp(payload, from: null);
        }
        else
        {
            OnRtcp(payload, from: null);
        }
    }

    private void OpenUdp()
    {
        if (_rtpSocket is not null)
        {
            return;
        }

        var (rtp, rtcp) = UdpPortPair.Bind(IPAddress.Any, _options.RtpPort);
        _rtpSocket = new UdpClient { Client = rtp };
        _rtcpSocket = new UdpClient { Client = rtcp };
        _rtpSocket.Client.ReceiveBufferSize = 4 * 1024 * 1024;
        _ = Task.Run(() => ReceiveRtpAsync(_rtpSocket));
        _ = Task.Run(() => ReceiveUdpAsync(_rtcpSocket!, OnRtcp));
    }

    // A load generator (frames counted, not kept) takes datagrams in batches where it can: its cost per packet is
    // what limits how hard it can load a server. Should the batch receiver give up, the rest is received one by one.
    private async Task ReceiveRtpAsync(UdpClient socket)
    {
        if (!_options.DeliverFrames && BatchUdpReceiver.IsSupported)
        {
            try
            {
                if (await new BatchUdpReceiver(socket.Client, _options.UdpGro).RunAsync(OnRtp, _closed.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return; // closed
            }
        }

        await ReceiveUdpAsync(socket, OnRtp).ConfigureAwait(false);
    }

    // One buffer and one address for the socket's life: a datagram costs a system call and no allocation, which is
    // what lets `grpcstream bench` load a server harder than it loads itself.
    private async Task ReceiveUdpAsync(UdpClient socket, DatagramHandler handle)
    {
        var buffer = new byte[65536];
        var from = new SocketAddress(socket.Client.AddressFamily);
        try
        {
            while (true)
            {
                var length = await socket.Client.ReceiveFromAsync(buffer, SocketFlags.None, from, _closed.Token).ConfigureAwait(false);
                handle(buffer.AsSpan(0, length), DatagramSource.Read(from));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Closed.
        }
    }

    private void OnRtp(ReadOnlySpan<byte> datagram, DatagramSource? from)
    {
        if (RtpPacket.TryParse(datagram, out var packet) != RtpPacketError.None || packet.Header.PayloadType != RtpJpegHeader.PayloadType && packet.Header.PayloadType < 96)
        {
            return;
        }

        var now = _time.GetTimestamp();
        lock (_statsGate)
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
            if (!_options.DeliverFrames)
            {
                return;
            }

            // Past the byte bound, the oldest queued frames make room (counted as dropped).
            while (Interlocked.Read(ref _queuedFrameBytes) + jpeg.Length > _options.FrameBufferBytes && _frames.Reader.TryRead(out var oldest))
            {
                Interlocked.Add(ref _queuedFrameBytes, -oldest.Jpeg.Length);
                Interlocked.Increment(ref _droppedFrames);
            }

            if (jpeg.Length > _options.FrameBufferBytes)
            {
                Interlocked.Increment(ref _droppedFrames);
                return;
            }

            Interlocked.Add(ref _queuedFrameBytes, jpeg.Length);
            if (!_frames.Writer.TryWrite(new ReceivedFrame(jpeg.ToArray(), packet.Header.Timestamp, _playStarted == 0 ? TimeSpan.Zero : _time.GetElapsedTime(_playStarted, now))))
            {
                Interlocked.Add(ref _queuedFrameBytes, -jpeg.Length);
            }
        }
    }

    /// <summary>
    /// Whether a packet is the session's: from the port the server announced (when it did), with the session's SSRC
    /// (announced, or learned from the first packet that passes the port check), and from the RTSP server's address
    /// or, when none has come from there, from the one other address latched by the first such packet. Behind
    /// Docker's published ports RTP comes from the container's address, the only one: it is latched; a host that
    /// learned the SSRC and port cannot then inject from a second address. Call under the statistics lock.
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

    private void OnRtcp(ReadOnlySpan<byte> compound, DatagramSource? from)
    {
        var reader = new RtcpReader(compound);
        while (reader.TryRead(out var packet))
        {
            if (packet.Type == RtcpPacketType.SenderReport && packet.TryGetSenderInfo(out var info))
            {
                lock (_statsGate)
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

    private void SendReceiverReport()
    {
        if (State != RtspClientState.Playing)
        {
            return;
        }

        ReportBlock block;
        lock (_statsGate)
        {
            var delay = _lastSenderReportAt == 0 ? 0u : (uint)(_time.GetElapsedTime(_lastSenderReportAt).TotalSeconds * 65536);
            block = _reception.CreateReportBlock(_serverSsrc, _lastSenderReport, delay);
        }

        var buffer = new byte[256];
        var length = RtcpWriter.ReceiverReport(buffer, _ssrc, [block]);
        length += RtcpWriter.SourceDescription(buffer.AsSpan(length), _ssrc, "grpcstream-client");
        try
        {
            if (_transport == RtspTransport.Udp)
            {
                if (_serverRtcp is not null)
                {
                    _rtcpSocket?.Send(buffer.AsSpan(0, length), _serverRtcp);
                }
            }
            else if (_stream is not null && _sendGate.Wait(0))
            {
                try
                {
                    var framed = new byte[InterleavedFrame.HeaderSize + length];
                    RtspWriter.WriteInterleavedHeader(framed, _rtcpChannel, length);
                    buffer.AsSpan(0, length).CopyTo(framed.AsSpan(InterleavedFrame.HeaderSize));
                    _stream.Write(framed);
                }
                finally
                {
                    _sendGate.Release();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // Reports are best effort.
        }
    }

    private async Task KeepAliveAsync()
    {
        if (SessionId is null || _readLoop is null || _readLoop.IsCompleted)
        {
            return;
        }

        try
        {
            // live555 sends GET_PARAMETER only when the server lists it; OPTIONS works everywhere.
            var method = ServerMethods.Contains("GET_PARAMETER") ? RtspMethod.GetParameter : RtspMethod.Options;
            await SendAsync(method, _baseUrl ?? Url, [(SessionHeader.Name, SessionId)], _closed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or RtspStatusException or OperationCanceledException)
        {
            // The next request will report the problem.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (SessionId is not null && _readLoop is { IsCompleted: false })
        {
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await TeardownAsync(quick.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or TimeoutException or RtspStatusException or OperationCanceledException)
            {
                // Leaving anyway.
            }
        }

        _keepAlive?.Dispose();
        _reports?.Dispose();
        await _closed.CancelAsync().ConfigureAwait(false);
        _rtpSocket?.Dispose();
        _rtcpSocket?.Dispose();
        _tcp?.Dispose();
        if (_readLoop is not null)
        {
            await _readLoop.ConfigureAwait(false);
        }

        _frames.Writer.TryComplete();
        _closed.Dispose();
        _sendGate.Dispose();
    }
}
