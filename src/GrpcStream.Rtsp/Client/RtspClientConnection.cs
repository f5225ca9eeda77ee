using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Rtsp.Client;

/// <summary>
/// One RTSP connection to a server, as a client sees it: the TCP (or, for rtsps://, TLS) stream, requests and their
/// answers matched by CSeq, a second try answering a Basic or Digest challenge, the session once SETUP has named
/// one (its keepalive included), and the binary data interleaved with the answers, handed to a receiver.
/// <see cref="RtspPlayer"/> and <see cref="RtspPublisher"/> speak their halves of the protocol over it.
/// </summary>
public sealed class RtspClientConnection : IAsyncDisposable
{
    private readonly RtspUrl _url;
    private readonly RtspClientOptions _options;
    private readonly StreamPipeReaderOptions? _readOptions;
    private readonly TimeProvider _time;
    private readonly RtspMessageReader _reader = new();

    // A response, with its text as received when someone watches the traffic.
    private readonly ConcurrentDictionary<int, TaskCompletionSource<(RtspMessage Message, string? Wire)>> _pending = new();
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly CancellationTokenSource _closed = new();
    private readonly DigestAuthenticator _authenticator;
    private bool _warnedBasic;
    private IInterleavedReceiver? _receiver;

    private TcpClient? _tcp;
    private Stream? _stream;
    private Task? _readLoop;
    private Exception? _readFailure;
    private int _cseq;
    private long _straddledPayloads;
    private ITimer? _keepAlive;
    private string? _keepAliveUri;

    /// <summary>A connection to <paramref name="url"/> (rtsp:// or rtsps://), made with the first request.</summary>
    /// <exception cref="RtspClientException">The URL is not an RTSP one.</exception>
    public RtspClientConnection(string url, RtspClientOptions? options = null)
        : this(RtspUrls.ParseOrThrow(url), options ?? new RtspClientOptions(), readOptions: null)
    {
    }

    /// <param name="url">The server and path.</param>
    /// <param name="options">How to connect and log in.</param>
    /// <param name="readOptions">How the interleaved data is read: a load generator's large reads, or the pipe's defaults.</param>
    internal RtspClientConnection(RtspUrl url, RtspClientOptions options, StreamPipeReaderOptions? readOptions)
    {
        _url = url;
        _options = options;
        _readOptions = readOptions;
        _time = options.TimeProvider;
        _authenticator = options.UserName is { } user
            ? new DigestAuthenticator(user, options.Password)
            : new DigestAuthenticator(url.UserName, url.Password);
        Url = url.ToString();
    }

    /// <summary>The URL requests go to (without credentials).</summary>
    public string Url { get; }

    /// <summary>The methods the server listed in its answer to OPTIONS.</summary>
    public IReadOnlyList<string> ServerMethods { get; private set; } = [];

    /// <summary>The session SETUP named, until TEARDOWN ends it.</summary>
    public string? SessionId { get; private set; }

    /// <summary>Raised for every request sent and response received, with the text as on the wire.</summary>
    public event Action<string>? Traffic;

    internal RtspUrl Target => _url;

    /// <summary>Whether the connection is made and has not ended.</summary>
    internal bool IsOpen => _readLoop is { IsCompleted: false };

    internal IPEndPoint? LocalEndPoint => _tcp?.Client.LocalEndPoint as IPEndPoint;

    internal IPEndPoint? RemoteEndPoint => _tcp?.Client.RemoteEndPoint as IPEndPoint;

    /// <summary>Interleaved payloads that arrived split across two read buffers (and were copied whole): for tests.</summary>
    internal long StraddledPayloads => Volatile.Read(ref _straddledPayloads);

    public async Task<RtspResponse> OptionsAsync(CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(RtspMethod.Options, Url, [], cancellationToken).ConfigureAwait(false);
        ServerMethods = (response.GetHeader("Public") ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return response;
    }

    /// <summary>Who takes interleaved data: set before the connection is made, since data may follow the first answer.</summary>
    internal void Attach(IInterleavedReceiver receiver) => _receiver = receiver;

    /// <summary>
    /// Takes the session SETUP answered with and keeps it alive: a request every half of its timeout (at least
    /// every 5 s) to <paramref name="keepAliveUri"/>, from the first session on.
    /// </summary>
    internal void BeginSession(SessionHeader session, string keepAliveUri)
    {
        SessionId = session.Id;
        _keepAliveUri = keepAliveUri;
        var interval = TimeSpan.FromSeconds(Math.Max(5, (session.TimeoutSeconds ?? 60) / 2.0));
        _keepAlive ??= _time.CreateTimer(_ => _ = KeepAliveAsync(), null, interval, interval);
    }

    /// <summary>The session is over (TEARDOWN answered): keepalives stop.</summary>
    internal void EndSession() => SessionId = null;

    /// <summary>
    /// Runs its owner's TEARDOWN when a session stands on an open connection, giving it two seconds: the owner is
    /// leaving, so a server that does not answer, or refuses, is left anyway.
    /// </summary>
    internal async ValueTask TeardownIfOpenAsync(Func<CancellationToken, Task> teardown)
    {
        if (SessionId is null || !IsOpen)
        {
            return;
        }

        try
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await teardown(quick.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or RtspStatusException or OperationCanceledException)
        {
            // Leaving anyway.
        }
    }

    /// <summary>
    /// Sends a request and waits for its answer, logging in and sending it again if the server asks for credentials
    /// the connection has.
    /// </summary>
    /// <exception cref="RtspStatusException">The server answered with an error status.</exception>
    internal async Task<RtspResponse> SendAsync(
        RtspMethod method, string uri, IReadOnlyList<(string Name, string Value)> headers, CancellationToken cancellationToken, ReadOnlyMemory<byte> body = default, string? contentType = null)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var response = await ExchangeAsync(method, uri, headers, body, contentType, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == RtspStatusCode.Unauthorized && _authenticator.CanAnswer && _authenticator.Challenge(response.GetHeaders("WWW-Authenticate")))
        {
            if (_authenticator.Scheme == "Basic" && !_warnedBasic)
            {
                _warnedBasic = true;
                _options.Warning?.Invoke(RtspClientWarning.BasicAuthenticationOnly);
            }

            response = await ExchangeAsync(method, uri, headers, body, contentType, cancellationToken).ConfigureAwait(false);
        }

        if (response.StatusCode is < 200 or >= 300)
        {
            throw new RtspStatusException(method, response.StatusCode, response.ReasonPhrase);
        }

        return new RtspResponse(response);
    }

    /// <summary>
    /// Writes interleaved packets (each with its <c>$</c> header) in one go: no request lands between the packets
    /// of one frame.
    /// </summary>
    internal async Task WriteInterleavedAsync(IReadOnlyList<ReadOnlyMemory<byte>> packets, CancellationToken cancellationToken)
    {
        await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var packet in packets)
            {
                await _stream!.WriteAsync(packet, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>
    /// Writes one interleaved packet now if nothing else is being written, else not at all: for RTCP reports, which
    /// are best effort and must not wait behind a request from a timer's thread.
    /// </summary>
    internal bool TryWriteInterleaved(ReadOnlySpan<byte> packet)
    {
        if (_stream is null || !_sendGate.Wait(0))
        {
            return false;
        }

        try
        {
            _stream.Write(packet);
            return true;
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>Makes the connection if it is not made yet.</summary>
    /// <exception cref="IOException">It was made and has ended.</exception>
    /// <exception cref="RtspProtocolException">It ended because the server broke the protocol.</exception>
    internal async Task ConnectAsync(CancellationToken cancellationToken)
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

        var (tcp, stream) = await ServerStreamOpener.OpenAsync(_url, _options, cancellationToken).ConfigureAwait(false);
        if (_closed.IsCancellationRequested)
        {
            // Disposed while connecting: nothing would ever close this one.
            tcp.Dispose();
            throw new ObjectDisposedException(nameof(RtspClientConnection));
        }

        (_tcp, _stream) = (tcp, stream);
        _readLoop = Task.Run(ReadLoopAsync, CancellationToken.None);
    }

    private async Task<RtspMessage> ExchangeAsync(
        RtspMethod method, string uri, IReadOnlyList<(string Name, string Value)> headers, ReadOnlyMemory<byte> body, string? contentType, CancellationToken cancellationToken)
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
        var pending = new TaskCompletionSource<(RtspMessage Message, string? Wire)>(TaskCreationOptions.RunContinuationsAsynchronously);
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

            var (response, wire) = await pending.Task.WaitAsync(_options.RequestTimeout, _time, cancellationToken).ConfigureAwait(false);

            // Told here, on the requester's flow, not from the read loop: a watcher that throws fails this request,
            // not the connection.
            if (wire is not null)
            {
                Traffic?.Invoke(wire);
            }

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

    private async Task ReadLoopAsync()
    {
        var input = PipeReader.Create(_stream!, _readOptions);
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
                        // The answer as it came, not rebuilt from the parse: what the server sent is what is shown.
                        var wire = Traffic is null ? null : Encoding.UTF8.GetString(buffer.Slice(0, consumed)).TrimStart('\r', '\n');
                        pending.TrySetResult((message.Clone(), wire));
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

            _receiver?.ConnectionClosed();
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    // A payload that straddles two of the pipe's buffers is copied into a pooled one for the receiver, which takes
    // a span: with large reads that is one packet in many, and it allocates nothing.
    private void OnInterleaved(in InterleavedFrame frame)
    {
        if (_receiver is not { } receiver || !receiver.Accepts(frame.Channel))
        {
            return;
        }

        if (frame.Payload.IsSingleSegment)
        {
            receiver.Receive(frame.Channel, frame.Payload.FirstSpan);
            return;
        }

        var length = (int)frame.Payload.Length;
        var scratch = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            frame.Payload.CopyTo(scratch);
            _straddledPayloads++;
            receiver.Receive(frame.Channel, scratch.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private async Task KeepAliveAsync()
    {
        if (SessionId is not { } session || _keepAliveUri is not { } uri || !IsOpen)
        {
            return;
        }

        try
        {
            // live555 sends GET_PARAMETER only when the server lists it; OPTIONS works everywhere.
            var method = ServerMethods.Contains("GET_PARAMETER") ? RtspMethod.GetParameter : RtspMethod.Options;
            await SendAsync(method, uri, [(SessionHeader.Name, session)], _closed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or RtspStatusException or OperationCanceledException)
        {
            // The next request will report the problem.
        }
    }

    /// <summary>Closes the connection (without a TEARDOWN: the player or publisher sends that first).</summary>
    public async ValueTask DisposeAsync()
    {
        _keepAlive?.Dispose();
        await _closed.CancelAsync().ConfigureAwait(false);
        _tcp?.Dispose();
        if (_readLoop is not null)
        {
            await _readLoop.ConfigureAwait(false);
        }

        _closed.Dispose();
        _sendGate.Dispose();
    }
}
