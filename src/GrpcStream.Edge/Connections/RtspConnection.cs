using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Requests;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Edge.Connections;

/// <summary>
/// One client's TCP connection, bytes only: a read loop that frames messages and interleaved packets with
/// <see cref="RtspMessageReader"/> and hands them to its <see cref="IRtspConnectionHandler"/>, and a writer that
/// drains ONE bounded <see cref="OutgoingQueue"/> (responses, RTCP, interleaved frames, in order). Guards the
/// server against the client: every partial message (request, body, interleaved frame) must be whole within
/// <see cref="RtspSettings.RequestTimeout"/>, a send that the client does not take within
/// <see cref="RtspSettings.WriteTimeout"/> ends the connection, and an idle connection without sessions is
/// closed after the session timeout.
/// </summary>
internal sealed class RtspConnection : IClientConnection, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly SslStream? _tls;
    private readonly PipeReader _input;
    private readonly ConnectionOutput _output;
    private readonly RtspMessageReader _reader;
    private readonly RtspSettings _settings;
    private readonly TimeProvider _time;
    private readonly EdgeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closed = new();
    private string? _fault;
    private int _aborted;

    // tls: the TLS session over the socket, handshake done (RTSPS); null for plain RTSP.
    public RtspConnection(Socket socket, SslStream? tls, RtspMessageReader reader, RtspSettings settings, TimeProvider time, EdgeMetrics metrics, ILogger logger)
    {
        _socket = socket;
        _tls = tls;
        _socket.NoDelay = true;

        // A bounded kernel buffer: a reader that falls behind is noticed in our queue (and loses whole frames
        // there, or is cut off by the write timeout) instead of hiding megabytes in the socket.
        _socket.SendBufferSize = 256 * 1024;
        // Every connection's pending read holds a buffer, so its size is memory per session; requests and RTCP
        // reports are small, and a longer request simply spans several buffers.
        _input = PipeReader.Create(tls ?? (Stream)new NetworkStream(socket, ownsSocket: false), new StreamPipeReaderOptions(bufferSize: 4 * 1024, minimumReadSize: 1024));

        _output = new ConnectionOutput(socket, tls, settings.MaxQueuedBytes, time, metrics, _closed.Token);
        _reader = reader;
        _settings = settings;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        Remote = (IPEndPoint)socket.RemoteEndPoint!;
        Local = (IPEndPoint)socket.LocalEndPoint!;
    }

    public IPEndPoint Remote { get; }

    /// <summary>True for RTSPS: what the client sends and receives on this connection is encrypted.</summary>
    public bool IsSecure => _tls is not null;

    public IPEndPoint Local { get; }

    /// <summary>Cancelled when the connection is closing.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Sends an answer through the connection's one output: at once when it is idle, else queued in order.</summary>
    public ValueTask SendAsync(byte[] response) => _output.SendAsync(response);

    /// <summary>Sends an interleaved packet (RTCP) through the output; false, and nothing queued, when it is full.</summary>
    public bool TrySendInterleaved(byte channel, ReadOnlySpan<byte> payload) => _output.TrySendInterleaved(channel, payload);

    /// <summary>Sends or queues a frame for <paramref name="writer"/>; false when it does not fit (the caller drops it).</summary>
    public bool TryQueueFrame(IInterleavedFrameWriter writer, SharedFrame frame, int bytes) => _output.TryQueueFrame(writer, frame, bytes);

    /// <summary>Reads and handles messages until the client goes away or breaks the rules.</summary>
    public async Task RunAsync(IRtspConnectionHandler handler, CancellationToken stopping)
    {
        using var link = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closed.Token);

        // The writer ends when its queue is completed (below), not when the server starts stopping: what is
        // queued by then, the BYEs of a shutdown among it, still goes out.
        var writer = Task.Run(WriteAsync, CancellationToken.None);
        try
        {
            await ReadLoopAsync(handler, link.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, was cut off, or the server is stopping.
        }
        finally
        {
            // Let queued responses (an error status, say) go out before closing; a client that does not read
            // gets no longer than a second.
            _output.Complete();
            await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(1), _time, CancellationToken.None)).ConfigureAwait(false);
            await _closed.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Ends the connection if a send has waited on the client for longer than the write timeout.</summary>
    public void CheckWriteTimeout(long now)
    {
        if (_output.SendingFor(now) >= _settings.WriteTimeout)
        {
            _metrics.LimitHit(EdgeLimits.WriteTimeout);
            var reason = $"did not read what was sent to it for {_settings.WriteTimeout.TotalSeconds:0.#} s";
            EdgeLog.BadClient(_logger, Remote.ToString(), reason);
            Faulted(reason);
            Abort();
        }
    }

    /// <summary>Why the connection is being ended by the edge (a broken rule, a client not reading); null when it just closed.</summary>
    public string? Fault => Volatile.Read(ref _fault);

    /// <summary>Records the first reason the edge ends this connection for.</summary>
    public void Faulted(string reason) => Interlocked.CompareExchange(ref _fault, reason, null);

    /// <summary>Closes the socket at once: pending reads and sends end with an error.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        _output.Complete();
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: closed already.
        }

        _socket.Dispose();
    }

    private async Task ReadLoopAsync(IRtspConnectionHandler handler, CancellationToken cancellationToken)
    {
        var message = new RtspMessage();
        long? partialSince = null;
        var idleSince = _time.GetTimestamp();
        var lastData = idleSince;
        long pendingLength = 0;
        using var wake = _time.CreateTimer(_ => _input.CancelPendingRead(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var now = _time.GetTimestamp();
            if (buffer.Length != pendingLength)
            {
                lastData = now;
            }

            var endOfInputEndsHeaders = false;
            if (result.IsCanceled && partialSince is { } since)
            {
                // Every partial message has the same time limit, whatever it is: request line, headers, body or
                // an interleaved packet; and a dialect's quiet gap never extends it.
                if (_time.GetElapsedTime(since, now) >= _settings.RequestTimeout)
                {
                    _metrics.LimitHit(EdgeLimits.RequestTimeout);
                    Fail(handler, RtspStatusCode.RequestTimeout, "a message took too long to arrive");
                    return;
                }

                endOfInputEndsHeaders = _time.GetElapsedTime(lastData, now) >= _settings.QuietGap && handler.MayEndAtQuietGap(buffer);
            }
            else if (result.IsCanceled && buffer.IsEmpty && !handler.KeepsConnectionOpen && _time.GetElapsedTime(idleSince, now) >= _settings.SessionTimeout)
            {
                return; // idle, with nothing to keep it open for
            }

            try
            {
                while (true)
                {
                    var read = _reader.TryRead(buffer, message, out var frame, out var consumed, endOfInputEndsHeaders);
                    buffer = buffer.Slice(consumed);
                    if (read == RtspReadResult.NeedMoreData)
                    {
                        break;
                    }

                    partialSince = null;
                    endOfInputEndsHeaders = false;
                    idleSince = _time.GetTimestamp();
                    if (read == RtspReadResult.Message)
                    {
                        await handler.OnMessageAsync(message).ConfigureAwait(false);
                    }
                    else
                    {
                        handler.OnInterleaved(frame);
                    }
                }
            }
            catch (RtspProtocolException ex)
            {
                _metrics.BadRequest();
                Fail(handler, ex.StatusCode, ex.Message);
                return;
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
            pendingLength = buffer.Length;
            if (result.IsCompleted)
            {
                return;
            }

            if (buffer.IsEmpty)
            {
                partialSince = null; // nothing started (blank lines between messages are consumed)
                wake.Change(_settings.SessionTimeout, Timeout.InfiniteTimeSpan);
                continue;
            }

            partialSince ??= _time.GetTimestamp();
            var left = _settings.RequestTimeout - _time.GetElapsedTime(partialSince.Value);
            var next = handler.MayEndAtQuietGap(buffer) && _settings.QuietGap < left ? _settings.QuietGap : left;
            wake.Change(next < TimeSpan.Zero ? TimeSpan.Zero : next, Timeout.InfiniteTimeSpan);
        }
    }

    private void Fail(IRtspConnectionHandler handler, int statusCode, string reason)
    {
        EdgeLog.BadClient(_logger, Remote.ToString(), reason);
        Faulted(reason);
        _output.TryQueue(handler.ErrorResponse(statusCode));
    }

    // The output's writer loop; once it ends (completed, or a send failed), so does the connection.
    private async Task WriteAsync()
    {
        await _output.RunAsync().ConfigureAwait(false);
        await _closed.CancelAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _aborted, 1);
        _output.Complete();
        await _closed.CancelAsync().ConfigureAwait(false);
        await _input.CompleteAsync().ConfigureAwait(false);
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }

        _tls?.Dispose();
        _socket.Dispose();

        // Items queued after the writer stopped (a BYE racing the close) are released here.
        _output.ReleaseQueued();

        _closed.Dispose();
    }
}
