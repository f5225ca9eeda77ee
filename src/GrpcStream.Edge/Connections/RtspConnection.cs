using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Native;
using GrpcStream.Edge.Streams;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Edge.Connections;

/// <summary>What a connection hands its messages to, and asks about framing: the RTSP side of one client.</summary>
internal interface IRtspConnectionHandler
{
    /// <summary>
    /// Whether the unfinished bytes may be taken as a whole message once the client has been quiet for
    /// <see cref="RtspSettings.QuietGap"/> (a dialect without blank lines).
    /// </summary>
    bool MayEndAtQuietGap(in ReadOnlySequence<byte> pending);

    /// <summary>Whether the connection must stay open while idle (it has sessions).</summary>
    bool KeepsConnectionOpen { get; }

    ValueTask OnMessageAsync(RtspMessage message);

    void OnInterleaved(in InterleavedFrame frame);

    /// <summary>The answer to a message that broke the protocol or a limit, sent before the connection closes.</summary>
    byte[] ErrorResponse(int statusCode);
}

/// <summary>
/// One client's TCP connection, bytes only: a read loop that frames messages and interleaved packets with
/// <see cref="RtspMessageReader"/> and hands them to its <see cref="IRtspConnectionHandler"/>, and a writer that
/// drains ONE bounded <see cref="OutgoingQueue"/> (responses, RTCP, interleaved frames, in order). Guards the
/// server against the client: every partial message (request, body, interleaved frame) must be whole within
/// <see cref="RtspSettings.RequestTimeout"/>, a send that the client does not take within
/// <see cref="RtspSettings.WriteTimeout"/> ends the connection, and an idle connection without sessions is
/// closed after the session timeout.
/// </summary>
internal sealed class RtspConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly SslStream? _tls;
    private readonly PipeReader _input;
    private readonly OutgoingQueue _output;
    private readonly RtspMessageReader _reader;
    private readonly RtspSettings _settings;
    private readonly TimeProvider _time;
    private readonly EdgeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closed = new();
    private long _sendStarted;

    // 1 while the writer loop or a fan-out thread is writing to the socket: writes never interleave.
    private int _writing;

    // What an immediate write (a frame, a response, a report) left unsent (the socket's buffer filled): the writer loop sends it before
    // anything else. Set and cleared only by whoever holds _writing.
    private byte[]? _unsent;
    private int _unsentLength;

    // The gather buffers of a thread writing immediately (fan-out, request, report), reused for every connection.
    [ThreadStatic]
    private static List<ArraySegment<byte>>? t_segments;
    [ThreadStatic]
    private static byte[]? t_scratch;
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

        _output = new OutgoingQueue(settings.MaxQueuedBytes, metrics);
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

    /// <summary>Sends a response now when the connection is idle, or queues it; waits while the queue is full (the client is not reading).</summary>
    public ValueTask SendAsync(byte[] response) => TryWriteNow(response) ? ValueTask.CompletedTask : _output.EnqueueAsync(response, _closed.Token);

    /// <summary>
    /// Sends an interleaved packet (RTCP) now when the connection is idle, from a reused buffer, or queues a copy;
    /// false, and nothing queued, when the queue is full.
    /// </summary>
    public bool TrySendInterleaved(byte channel, ReadOnlySpan<byte> payload)
    {
        var size = InterleavedFrame.HeaderSize + payload.Length;
        if (TryStartWritingNow())
        {
            var scratch = t_scratch ??= new byte[1024];
            if (scratch.Length < size)
            {
                t_scratch = scratch = new byte[size];
            }

            RtspWriter.WriteInterleavedHeader(scratch, channel, payload.Length);
            payload.CopyTo(scratch.AsSpan(InterleavedFrame.HeaderSize));
            var segments = t_segments ??= [];
            segments.Clear();
            segments.Add(new ArraySegment<byte>(scratch, 0, size));
            WriteNowAndFinish(segments); // what is left unsent is copied aside before the buffer is used again
            return true;
        }

        var bytes = new byte[size];
        RtspWriter.WriteInterleavedHeader(bytes, channel, payload.Length);
        payload.CopyTo(bytes.AsSpan(InterleavedFrame.HeaderSize));
        if (_output.TryEnqueue(bytes))
        {
            return true;
        }

        _metrics.LimitHit(EdgeLimits.QueuedBytes);
        return false;
    }

    /// <summary>
    /// Sends a frame for <paramref name="writer"/> now when the connection is idle, or queues it; false when it does
    /// not fit in the queue (the caller drops it).
    /// </summary>
    public bool TryQueueFrame(IInterleavedFrameWriter writer, SharedFrame frame, int bytes) =>
        TryWriteNow(writer, frame) || _output.TryEnqueueFrame(writer, frame, bytes);

    /// <summary>
    /// Writes the frame from the calling (fan-out) thread when nothing is queued or being written, with one
    /// non-blocking gathered send: a reader keeping up costs no queueing, no wake-up of the writer loop and no
    /// thread switch per frame. Plain RTSP only: TLS records are made by the writer loop.
    /// </summary>
    private bool TryWriteNow(IInterleavedFrameWriter writer, SharedFrame frame)
    {
        if (!TryStartWritingNow())
        {
            return false;
        }

        var segments = t_segments ??= [];
        var scratch = t_scratch ??= new byte[1024];
        segments.Clear();
        writer.Gather(frame, segments, ref scratch);
        t_scratch = scratch;
        writer.Done(frame, sent: WriteNowAndFinish(segments));
        return true;
    }

    /// <summary>
    /// Writes a response from the request's thread when the connection is idle, as the fan-out does a
    /// frame: a PLAY's answer and the first frame after it then leave without waking the writer loop between them.
    /// </summary>
    private bool TryWriteNow(byte[] response)
    {
        if (!TryStartWritingNow())
        {
            return false;
        }

        var segments = t_segments ??= [];
        segments.Clear();
        segments.Add(response);
        WriteNowAndFinish(segments);
        return true;
    }

    /// <summary>
    /// Takes the right to write, and true, when nothing is queued, left unsent or being written, and the connection
    /// is plain RTSP and open. The caller then calls <see cref="WriteNowAndFinish"/>.
    /// </summary>
    private bool TryStartWritingNow()
    {
        if (_tls is not null || !GatheredSend.IsAvailable || _output.Bytes != 0 || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
        {
            return false;
        }

        // Checked again now that no one else writes: an item queued since would have to go first.
        if (_output.Bytes != 0 || _unsent is not null || _closed.IsCancellationRequested)
        {
            Volatile.Write(ref _writing, 0);
            return false;
        }

        return true;
    }

    /// <summary>
    /// One non-blocking gathered send of <paramref name="segments"/>, then gives up the right to write. What the
    /// kernel does not take at once is copied aside for the writer loop, which sends it before anything else. False
    /// when the socket failed: the writer loop's next send reports it and closes the connection.
    /// </summary>
    private bool WriteNowAndFinish(List<ArraySegment<byte>> segments)
    {
        var handedOver = false;
        try
        {
            var total = 0;
            foreach (var segment in segments)
            {
                total += segment.Count;
            }

            int sent;
            try
            {
                sent = GatheredSend.TrySend(_socket, segments);
            }
            catch (ObjectDisposedException)
            {
                sent = -1; // closed meanwhile
            }

            if (sent < 0)
            {
                return false;
            }

            if (sent < total)
            {
                GatheredSend.Advance(segments, sent);
                // Pooled: a reader whose socket is full now and then must not make garbage each time.
                var rest = ArrayPool<byte>.Shared.Rent(total - sent);
                var at = 0;
                foreach (var segment in segments)
                {
                    segment.AsSpan().CopyTo(rest.AsSpan(at));
                    at += segment.Count;
                }

                _unsent = rest;
                _unsentLength = at;
                handedOver = true;
            }

            return true;
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
            if (handedOver)
            {
                // Wakes the writer loop, which finds the rest first.
                _output.TryEnqueue([]);
            }
        }
    }

    /// <summary>Reads and handles messages until the client goes away or breaks the rules.</summary>
    public async Task RunAsync(IRtspConnectionHandler handler, CancellationToken stopping)
    {
        using var link = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closed.Token);

        // The writer ends when its queue is completed (below), not when the server starts stopping: what is
        // queued by then, the BYEs of a shutdown among it, still goes out.
        var writer = Task.Run(WriteLoopAsync, CancellationToken.None);
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
        var started = Volatile.Read(ref _sendStarted);
        if (started != 0 && _time.GetElapsedTime(started, now) >= _settings.WriteTimeout)
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

    // Copies the segments into one buffer (it grows to the largest frame seen) for one TLS write.
    private ValueTask WriteRecordAsync(SslStream tls, List<ArraySegment<byte>> segments, ref byte[] record)
    {
        var total = 0;
        foreach (var segment in segments)
        {
            total += segment.Count;
        }

        if (record.Length < total)
        {
            record = new byte[Math.Max(total, record.Length * 2)];
        }

        var at = 0;
        foreach (var segment in segments)
        {
            segment.AsSpan().CopyTo(record.AsSpan(at));
            at += segment.Count;
        }

        return tls.WriteAsync(record.AsMemory(0, total), _closed.Token);
    }

    private void Fail(IRtspConnectionHandler handler, int statusCode, string reason)
    {
        EdgeLog.BadClient(_logger, Remote.ToString(), reason);
        Faulted(reason);
        _output.TryEnqueue(handler.ErrorResponse(statusCode));
    }

    private async Task WriteLoopAsync()
    {
        var segments = new List<ArraySegment<byte>>();
        var scratch = new byte[1024];
        var record = _tls is null ? [] : new byte[16 * 1024];
        using var sender = new SocketSender();
        var reader = _output.Reader;
        try
        {
            // No token: a cancellable wait allocates a new waiter each time, and this one runs once per frame. The
            // queue is completed when the connection closes or is aborted, which ends the wait.
            while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (true)
                {
                    // A fan-out thread may be writing a frame right now (a non-blocking send): wait for it.
                    var spin = default(SpinWait);
                    while (Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
                    {
                        spin.SpinOnce();
                    }

                    try
                    {
                        if (_unsent is { } rest)
                        {
                            Volatile.Write(ref _sendStarted, _time.GetTimestamp());
                            await _socket.SendAsync(rest.AsMemory(0, _unsentLength), SocketFlags.None, _closed.Token).ConfigureAwait(false);
                            Volatile.Write(ref _sendStarted, 0);
                            _unsent = null;
                            ArrayPool<byte>.Shared.Return(rest);
                        }

                        if (!reader.TryRead(out var item))
                        {
                            break;
                        }

                        await WriteAsync(item, segments, sender).ConfigureAwait(false);
                    }
                    finally
                    {
                        Volatile.Write(ref _writing, 0);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or was cut off: the read loop notices too.
        }
        finally
        {
            // Release whatever is still queued.
            while (reader.TryRead(out var left))
            {
                left.Writer?.Done(left.Frame!, sent: false);
                _output.Release(left);
            }

            await _closed.CancelAsync().ConfigureAwait(false);
        }

        async ValueTask WriteAsync(Outgoing item, List<ArraySegment<byte>> segments, SocketSender sender)
        {
            var sent = false;
            try
            {
                Volatile.Write(ref _sendStarted, _time.GetTimestamp());
                // Plain RTSP goes straight to the socket, a frame gathered from its shared buffers uncopied; TLS
                // encrypts every byte for this client anyway, so a frame is gathered into one record there.
                if (item.Bytes is { } bytes)
                {
                    if (_tls is null)
                    {
                        await _socket.SendAsync(bytes, SocketFlags.None, _closed.Token).ConfigureAwait(false);
                    }
                    else
                    {
                        await _tls.WriteAsync(bytes, _closed.Token).ConfigureAwait(false);
                    }
                }
                else
                {
                    segments.Clear();
                    item.Writer!.Gather(item.Frame!, segments, ref scratch);
                    if (_tls is null)
                    {
                        await sender.SendAsync(_socket, segments).ConfigureAwait(false);
                    }
                    else
                    {
                        await WriteRecordAsync(_tls, segments, ref record).ConfigureAwait(false);
                    }
                }

                sent = true;
            }
            finally
            {
                Volatile.Write(ref _sendStarted, 0);
                item.Writer?.Done(item.Frame!, sent);
                _output.Release(item);
            }
        }
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
        while (_output.Reader.TryRead(out var left))
        {
            left.Writer?.Done(left.Frame!, sent: false);
            _output.Release(left);
        }

        _closed.Dispose();
    }
}
