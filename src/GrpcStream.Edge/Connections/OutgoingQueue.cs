using System.Threading.Channels;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Transports;

namespace GrpcStream.Edge.Connections;

/// <summary>
/// A connection's one outgoing queue: responses, RTCP and interleaved frames in order, bounded in bytes
/// (<see cref="Settings.RtspSettings.MaxQueuedBytes"/>). Frames may fill it only up to
/// <see cref="ControlReserve"/> short of the bound, so a response always finds room once the writer moves; a
/// frame or an RTCP packet that does not fit is refused (the caller drops it), a response waits for room, which
/// stops the connection reading further requests: a client that pipelines without reading stalls itself and is
/// cut off by the write timeout, and its queue never holds more than the bound.
/// </summary>
internal sealed class OutgoingQueue
{
    /// <summary>Room kept free of frames for responses and RTCP.</summary>
    public const int ControlReserve = RtspSettings.MinQueuedBytes / 2;

    private readonly Channel<Outgoing> _items = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly long _limit;
    private readonly EdgeMetrics _metrics;
    private long _bytes;
    private TaskCompletionSource? _room;

    public OutgoingQueue(long limit, EdgeMetrics metrics)
    {
        _limit = limit;
        _metrics = metrics;
    }

    /// <summary>Bytes queued now.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    public ChannelReader<Outgoing> Reader => _items.Reader;

    public bool TryEnqueueFrame(IInterleavedFrameWriter writer, SharedFrame frame, int bytes) =>
        TryReserve(bytes, _limit - ControlReserve) && Write(new Outgoing(null, writer, frame, bytes));

    /// <summary>Queues bytes that may be dropped when the client is not reading (RTCP).</summary>
    public bool TryEnqueue(byte[] bytes) => TryReserve(bytes.Length, _limit) && Write(new Outgoing(bytes, null, null, bytes.Length));

    /// <summary>Queues a response, waiting for room while the client is not reading.</summary>
    public async ValueTask EnqueueAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        while (!TryReserve(bytes.Length, _limit))
        {
            var room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _room, room);

            // The writer may have made room between the failed attempt and the line above.
            if (TryReserve(bytes.Length, _limit))
            {
                break;
            }

            await room.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        Write(new Outgoing(bytes, null, null, bytes.Length));
    }

    /// <summary>Called by the writer once an item has left the queue (sent or not).</summary>
    public void Release(in Outgoing item)
    {
        var now = Interlocked.Add(ref _bytes, -item.Size);
        _metrics.QueuedBytesChanged(-item.Size, now);
        Interlocked.Exchange(ref _room, null)?.TrySetResult();
    }

    /// <summary>Wakes the writer with an empty item: something was set aside for it outside the queue.</summary>
    public void Wake() => _items.Writer.TryWrite(new Outgoing([], null, null, 0));

    /// <summary>No more items; the writer sends what is queued and stops.</summary>
    public void Complete() => _items.Writer.TryComplete();

    private bool TryReserve(int size, long limit)
    {
        var current = Volatile.Read(ref _bytes);
        while (true)
        {
            // A single item larger than the bound (it cannot be: responses are small) still goes when the queue is empty.
            if (current + size > limit && current > 0)
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _bytes, current + size, current);
            if (seen == current)
            {
                _metrics.QueuedBytesChanged(size, current + size);
                return true;
            }

            current = seen;
        }
    }

    private bool Write(Outgoing item)
    {
        if (_items.Writer.TryWrite(item))
        {
            return true;
        }

        Release(item); // completed: the connection is closing
        return false;
    }
}

/// <summary>A queued item: bytes, or a frame and the session's writer for it.</summary>
internal readonly record struct Outgoing(byte[]? Bytes, IInterleavedFrameWriter? Writer, SharedFrame? Frame, int Size);
