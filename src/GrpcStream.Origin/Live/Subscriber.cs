using System.Threading.Channels;
using GrpcStream.Protos.Origin.V1;

namespace GrpcStream.Origin.Live;

/// <summary>
/// One subscriber's bounded queue of frames. When it is full the oldest frame is dropped for this subscriber
/// alone, so a reader that cannot keep up skips ahead instead of holding anything back.
/// </summary>
internal sealed class Subscriber
{
    private readonly Channel<Frame> _queue;
    private readonly Action _onDrop;
    private ulong? _resumeAfter;
    private long _dropped;

    private long _sent;

    public Subscriber(string stream, int capacity, ulong? resumeAfter, Action onDrop, string peer = "", DateTimeOffset since = default)
    {
        Stream = stream;
        Peer = peer;
        Since = since;
        _resumeAfter = resumeAfter;
        _onDrop = onDrop;
        _queue = Channel.CreateBounded<Frame>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Dropped());
    }

    public string Stream { get; }

    /// <summary>The channel the subscriber was added to (set by the hub).</summary>
    public IFrameChannel? Source { get; set; }

    /// <summary>Who subscribed (gRPC's peer form), for the control API.</summary>
    public string Peer { get; }

    public DateTimeOffset Since { get; }

    /// <summary>Frames written to the subscriber.</summary>
    public long FramesSent => Interlocked.Read(ref _sent);

    /// <summary>Counts a frame written to the subscriber.</summary>
    public void Sent() => Interlocked.Increment(ref _sent);

    public ChannelReader<Frame> Frames => _queue.Reader;

    /// <summary>Frames dropped for this subscriber because it read too slowly.</summary>
    public long DroppedFrames => Interlocked.Read(ref _dropped);

    /// <summary>Queues a frame, unless it is at or before the sequence the subscriber resumes after.</summary>
    public void Offer(Frame frame)
    {
        if (_resumeAfter is { } after)
        {
            if (frame.Sequence <= after)
            {
                return;
            }

            _resumeAfter = null;
        }

        _queue.Writer.TryWrite(frame);
    }

    /// <summary>Forgets the resume position (it was too far from the live position to mean anything).</summary>
    public void ForgetResumePosition() => _resumeAfter = null;

    /// <summary>
    /// Starts the subscriber on its channel's <paramref name="current"/> frame (none when the channel has none yet).
    /// A resume position <paramref name="window"/> or more ahead of it is on another timeline and is forgotten.
    /// </summary>
    public void Join(Frame? current, ulong window)
    {
        if (current is null)
        {
            return;
        }

        if (_resumeAfter is { } after && after >= current.Sequence + window)
        {
            ForgetResumePosition();
        }

        Offer(current);
    }

    public ulong? ResumeAfter => _resumeAfter;

    /// <summary>Ends the subscription; the reader sees <paramref name="error"/> after any queued frames.</summary>
    public void Complete(Exception? error = null) => _queue.Writer.TryComplete(error);

    private void Dropped()
    {
        Interlocked.Increment(ref _dropped);
        _onDrop();
    }
}
