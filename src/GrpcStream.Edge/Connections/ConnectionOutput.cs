using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Native;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Edge.Connections;

/// <summary>
/// One connection's sending side, and the only code that writes to its socket. Answers, RTCP and interleaved
/// frames go through one bounded <see cref="OutgoingQueue"/> in the order they come, written by one writer loop
/// (<see cref="RunAsync"/>). When nothing is queued, left unsent or being written, an item is sent at once from the
/// caller's thread instead, with one non-blocking send: a reader keeping up costs no queueing and no wake-up of the
/// loop per frame (BENCHMARKS.md, issue 14). Both take the same right to write (<c>_writing</c>), so writes never
/// interleave, and the holder of that right is the only user of the gather buffers: nothing is thread-static and
/// no caller holds a lock. What a quick send leaves unsent (the socket's buffer filled) is set aside for the loop,
/// which sends it before anything else.
/// </summary>
internal sealed class ConnectionOutput
{
    private readonly Socket _socket;
    private readonly SslStream? _tls;
    private readonly OutgoingQueue _queue;
    private readonly TimeProvider _time;
    private readonly EdgeMetrics _metrics;
    private readonly CancellationToken _closed;

    // The buffers of whoever holds the right to write (the loop, or a caller sending at once).
    private readonly List<ArraySegment<byte>> _segments = [];
    private byte[] _scratch = new byte[1024];

    // 1 while the writer loop or a caller is writing to the socket.
    private int _writing;

    // What a quick send left unsent; set and cleared only by the holder of _writing.
    private byte[]? _unsent;
    private int _unsentLength;

    // When the send under way began (TimeProvider timestamp); 0 when none is.
    private long _sendStarted;

    /// <param name="socket">The connection's socket.</param>
    /// <param name="tls">Its TLS session (RTSPS), handshake done; null for plain RTSP.</param>
    /// <param name="maxQueuedBytes">The queue's bound (<see cref="Settings.RtspSettings.MaxQueuedBytes"/>).</param>
    /// <param name="time">The clock the write timeout is measured on.</param>
    /// <param name="metrics">Where queued bytes and refusals are counted.</param>
    /// <param name="closed">Cancelled when the connection closes: a write under way ends.</param>
    public ConnectionOutput(Socket socket, SslStream? tls, long maxQueuedBytes, TimeProvider time, EdgeMetrics metrics, CancellationToken closed)
    {
        _socket = socket;
        _tls = tls;
        _queue = new OutgoingQueue(maxQueuedBytes, metrics);
        _time = time;
        _metrics = metrics;
        _closed = closed;
    }

    /// <summary>Bytes waiting in the queue.</summary>
    public long QueuedBytes => _queue.Bytes;

    /// <summary>How long the send under way has waited on the client; null when none is under way.</summary>
    public TimeSpan? SendingFor(long now)
    {
        var started = Volatile.Read(ref _sendStarted);
        return started == 0 ? null : _time.GetElapsedTime(started, now);
    }

    /// <summary>Sends an answer now when the output is idle, or queues it; waits while the queue is full (the client is not reading).</summary>
    public ValueTask SendAsync(byte[] response)
    {
        if (TryStartWritingNow())
        {
            _segments.Clear();
            _segments.Add(response);
            WriteNowAndFinish();
            return ValueTask.CompletedTask;
        }

        return _queue.EnqueueAsync(response, _closed);
    }

    /// <summary>Queues bytes that may be refused when the queue is full: the answer to a broken request, sent before closing.</summary>
    public bool TryQueue(byte[] bytes) => _queue.TryEnqueue(bytes);

    /// <summary>
    /// Sends an interleaved packet (RTCP) now when the output is idle, or queues a copy; false, and nothing
    /// queued, when the queue is full.
    /// </summary>
    public bool TrySendInterleaved(byte channel, ReadOnlySpan<byte> payload)
    {
        var size = InterleavedFrame.HeaderSize + payload.Length;
        if (TryStartWritingNow())
        {
            if (_scratch.Length < size)
            {
                _scratch = new byte[size];
            }

            RtspWriter.WriteInterleavedHeader(_scratch, channel, payload.Length);
            payload.CopyTo(_scratch.AsSpan(InterleavedFrame.HeaderSize));
            _segments.Clear();
            _segments.Add(new ArraySegment<byte>(_scratch, 0, size));
            WriteNowAndFinish(); // what is left unsent is copied aside before the buffer is used again
            return true;
        }

        var bytes = new byte[size];
        RtspWriter.WriteInterleavedHeader(bytes, channel, payload.Length);
        payload.CopyTo(bytes.AsSpan(InterleavedFrame.HeaderSize));
        if (_queue.TryEnqueue(bytes))
        {
            return true;
        }

        _metrics.LimitHit(EdgeLimits.QueuedBytes);
        return false;
    }

    /// <summary>
    /// Sends a frame for <paramref name="writer"/> now when the output is idle (from the calling fan-out thread,
    /// one gathered send of the shared frame's buffers), or queues it; false when it does not fit (the caller drops it).
    /// </summary>
    public bool TryQueueFrame(IInterleavedFrameWriter writer, SharedFrame frame, int bytes)
    {
        if (!TryStartWritingNow())
        {
            return _queue.TryEnqueueFrame(writer, frame, bytes);
        }

        _segments.Clear();
        writer.Gather(frame, _segments, ref _scratch);
        writer.Done(frame, sent: WriteNowAndFinish());
        return true;
    }

    /// <summary>No more items: the loop sends what is queued and ends.</summary>
    public void Complete() => _queue.Complete();

    /// <summary>Gives back what is still queued once the loop has ended (the connection is being disposed).</summary>
    public void ReleaseQueued()
    {
        while (_queue.Reader.TryRead(out var left))
        {
            left.Writer?.Done(left.Frame!, sent: false);
            _queue.Release(left);
        }
    }

    /// <summary>
    /// The writer loop: sends what is queued, in order, until <see cref="Complete"/> or a failed send (the client
    /// went away or was cut off). What is still queued then is given back.
    /// </summary>
    public async Task RunAsync()
    {
        var record = _tls is null ? [] : new byte[16 * 1024];
        using var sender = new SocketSender();
        var reader = _queue.Reader;
        try
        {
            // No token: a cancellable wait allocates a new waiter each time, and this one runs once per frame. The
            // queue is completed when the connection closes or is aborted, which ends the wait.
            while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (true)
                {
                    // A caller may be sending at once right now (one non-blocking send): wait for it.
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
                            await _socket.SendAsync(rest.AsMemory(0, _unsentLength), SocketFlags.None, _closed).ConfigureAwait(false);
                            Volatile.Write(ref _sendStarted, 0);
                            _unsent = null;
                            ArrayPool<byte>.Shared.Return(rest);
                        }

                        if (!reader.TryRead(out var item))
                        {
                            break;
                        }

                        await WriteAsync(item, sender).ConfigureAwait(false);
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
            ReleaseQueued();
        }

        async ValueTask WriteAsync(Outgoing item, SocketSender sender)
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
                        await _socket.SendAsync(bytes, SocketFlags.None, _closed).ConfigureAwait(false);
                    }
                    else
                    {
                        await _tls.WriteAsync(bytes, _closed).ConfigureAwait(false);
                    }
                }
                else
                {
                    _segments.Clear();
                    item.Writer!.Gather(item.Frame!, _segments, ref _scratch);
                    if (_tls is null)
                    {
                        await sender.SendAsync(_socket, _segments).ConfigureAwait(false);
                    }
                    else
                    {
                        await WriteRecordAsync(_tls, ref record).ConfigureAwait(false);
                    }
                }

                sent = true;
            }
            finally
            {
                Volatile.Write(ref _sendStarted, 0);
                item.Writer?.Done(item.Frame!, sent);
                _queue.Release(item);
            }
        }
    }

    // Copies the gathered segments into one buffer (it grows to the largest frame seen) for one TLS write.
    private ValueTask WriteRecordAsync(SslStream tls, ref byte[] record)
    {
        var total = 0;
        foreach (var segment in _segments)
        {
            total += segment.Count;
        }

        if (record.Length < total)
        {
            record = new byte[Math.Max(total, record.Length * 2)];
        }

        var at = 0;
        foreach (var segment in _segments)
        {
            segment.AsSpan().CopyTo(record.AsSpan(at));
            at += segment.Count;
        }

        return tls.WriteAsync(record.AsMemory(0, total), _closed);
    }

    /// <summary>
    /// Takes the right to write, and true, when nothing is queued, left unsent or being written, and the connection
    /// is plain RTSP and open. The caller then calls <see cref="WriteNowAndFinish"/>.
    /// </summary>
    private bool TryStartWritingNow()
    {
        if (_tls is not null || !GatheredSend.IsAvailable || _queue.Bytes != 0 || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
        {
            return false;
        }

        // Checked again now that no one else writes: an item queued since would have to go first.
        if (_queue.Bytes != 0 || _unsent is not null || _closed.IsCancellationRequested)
        {
            Volatile.Write(ref _writing, 0);
            return false;
        }

        return true;
    }

    /// <summary>
    /// One non-blocking gathered send of the segments, then gives up the right to write. What the kernel does not
    /// take at once is copied aside for the writer loop, which sends it before anything else. False when the
    /// socket failed: the loop's next send reports it and the connection closes.
    /// </summary>
    private bool WriteNowAndFinish()
    {
        var handedOver = false;
        try
        {
            var total = 0;
            foreach (var segment in _segments)
            {
                total += segment.Count;
            }

            int sent;
            try
            {
                sent = GatheredSend.TrySend(_socket, _segments);
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
                GatheredSend.Advance(_segments, sent);
                // Pooled: a reader whose socket is full now and then must not make garbage each time.
                var rest = ArrayPool<byte>.Shared.Rent(total - sent);
                var at = 0;
                foreach (var segment in _segments)
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
                _queue.Wake(); // the loop finds the rest first
            }
        }
    }
}
