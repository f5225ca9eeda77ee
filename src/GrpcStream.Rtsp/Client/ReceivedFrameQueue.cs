using System.Threading.Channels;

namespace GrpcStream.Rtsp.Client;

/// <summary>
/// The frames a player has rebuilt and its consumer has not taken yet, bounded in frames and in bytes: a slow
/// consumer of large frames loses the oldest (counted as dropped), never memory.
/// </summary>
internal sealed class ReceivedFrameQueue
{
    private readonly Channel<ReceivedFrame> _frames;
    private readonly long _maxBytes;
    private long _queuedBytes;
    private long _dropped;

    public ReceivedFrameQueue(int maxFrames, long maxBytes)
    {
        _maxBytes = maxBytes;
        _frames = Channel.CreateBounded<ReceivedFrame>(
            new BoundedChannelOptions(maxFrames) { FullMode = BoundedChannelFullMode.DropOldest },
            dropped =>
            {
                Interlocked.Add(ref _queuedBytes, -dropped.Jpeg.Length);
                Interlocked.Increment(ref _dropped);
            });
    }

    /// <summary>Frames dropped for want of room.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a copy of <paramref name="jpeg"/>, dropping the oldest frames to make room for it.</summary>
    public void Add(ReadOnlySpan<byte> jpeg, uint rtpTimestamp, TimeSpan arrivedAfterPlay)
    {
        // Past the byte bound, the oldest queued frames make room (counted as dropped).
        while (Interlocked.Read(ref _queuedBytes) + jpeg.Length > _maxBytes && _frames.Reader.TryRead(out var oldest))
        {
            Interlocked.Add(ref _queuedBytes, -oldest.Jpeg.Length);
            Interlocked.Increment(ref _dropped);
        }

        if (jpeg.Length > _maxBytes)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        Interlocked.Add(ref _queuedBytes, jpeg.Length);
        if (!_frames.Writer.TryWrite(new ReceivedFrame(jpeg.ToArray(), rtpTimestamp, arrivedAfterPlay)))
        {
            Interlocked.Add(ref _queuedBytes, -jpeg.Length);
        }
    }

    /// <summary>The frames as they are queued, until <see cref="Complete"/>.</summary>
    public async IAsyncEnumerable<ReceivedFrame> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var frame in _frames.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            Interlocked.Add(ref _queuedBytes, -frame.Jpeg.Length);
            yield return frame;
        }
    }

    /// <summary>No more frames will come: readers end once they have taken the queued ones.</summary>
    public void Complete() => _frames.Writer.TryComplete();
}
