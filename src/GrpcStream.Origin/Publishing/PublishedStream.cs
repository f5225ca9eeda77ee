using Google.Protobuf;
using GrpcStream.Origin.Diagnostics;
using GrpcStream.Origin.Live;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Rtsp.Jpeg;

namespace GrpcStream.Origin.Publishing;

/// <summary>
/// A live stream fed by a publisher: each frame the publisher sends becomes one <see cref="Frame"/> message, offered
/// to every subscriber as it arrives. Outlives its publisher by the hold time, so that a publisher that reconnects
/// continues the same stream: the same subscribers, sequence numbers that only go up.
/// </summary>
/// <remarks>
/// Sequence numbers are on the same wall-clock-anchored clock as file streams (<see cref="LiveClock"/>) at the rate
/// the publisher declares: each frame takes the sequence live when it arrives, or the one after the last frame's
/// when that is higher (never the same, never back). Presentation times (sequence × 90000 / rate) therefore follow
/// the wall clock: a gap, a reconnect or a publisher slower than it declared shows as a longer step, not as slow
/// motion; and an edge that moves to another origin the publisher also moved to finds numbers near the ones it saw.
/// A publisher faster than it declared runs ahead of the clock, one period a frame.
/// </remarks>
internal sealed class PublishedStream : IFrameChannel
{
    private readonly Lock _gate = new();
    private readonly List<Subscriber> _subscribers = [];
    private readonly OriginMetrics _metrics;
    private LiveClock _clock;
    private Frame? _current;
    private ulong? _last;
    private Exception? _endedWith;

    public PublishedStream(string name, double frameRate, OriginMetrics metrics)
    {
        Name = name;
        _clock = new LiveClock(frameRate);
        _metrics = metrics;
    }

    public string Name { get; }

    public double FrameRate => _clock.FrameRate;

    /// <summary>Header values of the latest frame; null before the first.</summary>
    public JpegImageInfo? Info { get; private set; }

    /// <summary>Frames published since the stream began, over all of its publishers.</summary>
    public long Frames { get; private set; }

    /// <summary>Takes a returning publisher's frame rate: a new clock, on which sequence numbers still only go up.</summary>
    public void Continue(double frameRate)
    {
        lock (_gate)
        {
            _clock = new LiveClock(frameRate);
        }
    }

    /// <summary>Makes <paramref name="jpeg"/> the live frame and offers it to every subscriber; returns its sequence number.</summary>
    public ulong Publish(ByteString jpeg, in JpegImageInfo info, DateTimeOffset now)
    {
        lock (_gate)
        {
            var live = _clock.SequenceAt(now);
            var sequence = _last is { } last ? Math.Max(last + 1, live) : live;
            var frame = new Frame { Sequence = sequence, Pts90Khz = _clock.Pts90kHz(sequence), Jpeg = jpeg };
            _last = sequence;
            _current = frame;
            Info = info;
            Frames++;
            foreach (var subscriber in _subscribers)
            {
                subscriber.Offer(frame);
            }

            _metrics.FramePublished(Name, _subscribers.Count);
            return sequence;
        }
    }

    // A second of frames: how far ahead of the current frame a resume position may be and still be honoured.
    private ulong ResumeWindow => (ulong)Math.Max(2, Math.Ceiling(_clock.FrameRate));

    public void Add(Subscriber subscriber)
    {
        lock (_gate)
        {
            if (_endedWith is not null)
            {
                // Found just before its hold ran out (or the origin stopped): the subscriber hears the end too.
                subscriber.Complete(_endedWith);
                return;
            }

            // A resume position is honoured only when it is on this stream's timeline: at most a second ahead.
            subscriber.Join(_current, ResumeWindow);
            _subscribers.Add(subscriber);
        }
    }

    /// <summary>Removes a subscriber. Never stops the stream: it lives as long as its publisher (and the hold time).</summary>
    public void Remove(Subscriber subscriber)
    {
        lock (_gate)
        {
            _subscribers.Remove(subscriber);
        }
    }

    /// <summary>Ends every subscription with <paramref name="error"/>, and any added afterwards at once.</summary>
    public void End(Exception error)
    {
        lock (_gate)
        {
            _endedWith = error;
            foreach (var subscriber in _subscribers)
            {
                subscriber.Complete(error);
            }

            _subscribers.Clear();
        }
    }
}
