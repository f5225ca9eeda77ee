using GrpcStream.Origin.Catalogue;
using GrpcStream.Origin.Diagnostics;
using GrpcStream.Origin.Storage;
using GrpcStream.Protos.Origin.V1;

namespace GrpcStream.Origin.Live;

/// <summary>
/// Plays one stream on one clock for all of its subscribers: each tick makes one <see cref="Frame"/> message,
/// whose JPEG bytes are the stream's shared buffer, and offers that same message to every subscriber.
/// Runs only while someone is subscribed; a subscriber that joins gets the current frame at once.
/// </summary>
/// <remarks>
/// A fully indexed stream plays frame <c>sequence % count</c>, so every origin on the same wall clock shows the
/// same frame for the same sequence number (an edge may resume on another origin). While the stream is still
/// being indexed its length is not known: it plays on from where it is, and starts again at its first frame when
/// it reaches the last one indexed so far.
/// </remarks>
internal sealed class LiveChannel : IFrameChannel, IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Subscriber> _subscribers = [];
    private readonly TimeProvider _time;
    private readonly OriginMetrics _metrics;
    private readonly FrameCache _cache;
    private readonly ILogger _logger;
    private MediaStream _stream;
    private MediaStream? _unreadableLogged;
    private long _ticks;
    private long _unreadableTicks;
    private int _position = -1;
    private ulong _positionSequence;
    private LiveClock _clock;
    private Frame? _current;
    private CancellationTokenSource? _running;
    private bool _ended;
    private Exception? _endedWith;

    public LiveChannel(MediaStream stream, TimeProvider time, OriginMetrics metrics, FrameCache cache, ILogger logger)
    {
        _stream = stream;
        _time = time;
        _metrics = metrics;
        _cache = cache;
        _logger = logger;
        _clock = new LiveClock(stream.FrameRate);
    }

    public string Name => _stream.Name;

    /// <summary>Ticks of the clock since the channel started, the first frame included.</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>Ticks without a frame, because it could not be read as indexed.</summary>
    public long UnreadableTicks => Interlocked.Read(ref _unreadableTicks);

    /// <summary>How far ahead of the live position a resume position may be and still be honoured (two seconds).</summary>
    private ulong ResumeWindow => (ulong)Math.Ceiling(2 * _clock.FrameRate);

    public void Add(Subscriber subscriber)
    {
        lock (_gate)
        {
            if (_ended)
            {
                // The hub handed this channel out just before it ended (its stream removed, the origin stopping):
                // the subscriber ends as the others did, rather than start a clock that the hub no longer knows of and
                // so would never end.
                subscriber.Complete(_endedWith);
                return;
            }

            if (_running is null)
            {
                Start(firstSequence: 0);
            }

            // No current frame when the last tick's could not be read: the subscriber starts with the next one.
            subscriber.Join(_current, ResumeWindow);
            _subscribers.Add(subscriber);
        }
    }

    /// <summary>Removes a subscriber; the clock stops with the last one (and starts again with the next).</summary>
    public void Remove(Subscriber subscriber)
    {
        lock (_gate)
        {
            _subscribers.Remove(subscriber);
            if (_subscribers.Count == 0)
            {
                Stop();
            }
        }
    }

    /// <summary>Plays a new version of the stream from the next tick on (same clock unless the frame rate changed).</summary>
    public void Replace(MediaStream stream)
    {
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            _stream = stream;
            _position = -1;
            if (stream.FrameRate == _clock.FrameRate)
            {
                return;
            }

            // A new rate is a new clock; sequence numbers still only go up.
            var running = _running is not null;
            var next = (_current?.Sequence ?? 0) + 1;
            Stop();
            _clock = new LiveClock(stream.FrameRate);
            if (running)
            {
                Start(firstSequence: next);
            }
        }
    }

    /// <summary>
    /// Ends every subscription with <paramref name="error"/> (or normally when null) and stops the clock for good:
    /// a subscriber added afterwards is ended the same way at once.
    /// </summary>
    public void End(Exception? error)
    {
        lock (_gate)
        {
            _ended = true;
            _endedWith = error;
            foreach (var subscriber in _subscribers)
            {
                subscriber.Complete(error);
            }

            _subscribers.Clear();
            Stop();
        }
    }

    public void Dispose() => End(null);

    // Called with the gate held.
    private void Start(ulong firstSequence)
    {
        var origin = Math.Max(_clock.SequenceAt(_time.GetUtcNow()), firstSequence);
        var started = _time.GetTimestamp();
        _running = new CancellationTokenSource();
        Publish(origin);
        _ = RunAsync(origin, started, _clock, _running.Token);
    }

    // Called with the gate held.
    private void Stop()
    {
        _running?.Cancel();
        _running?.Dispose();
        _running = null;
        _current = null;
        _position = -1;
    }

    private async Task RunAsync(ulong origin, long started, LiveClock clock, CancellationToken cancellationToken)
    {
        long period = 0;
        try
        {
            while (true)
            {
                var due = clock.StartOf(period + 1);
                var elapsed = _time.GetElapsedTime(started);
                if (due > elapsed)
                {
                    await Task.Delay(due - elapsed, _time, cancellationToken);
                }

                // Late (a busy machine): jump to the period that is live now rather than play catch-up.
                period = Math.Max(period + 1, clock.PeriodsIn(_time.GetElapsedTime(started)));
                lock (_gate)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }

                    Publish(origin + (ulong)period);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: the last subscriber left or the stream ended.
        }
    }

    // Called with the gate held. A frame that cannot be read (its file changed since it was indexed) is a tick
    // without a frame: subscribers see a gap in the sequence, as for a dropped frame, until the rescan replaces the
    // stream.
    private void Publish(ulong sequence)
    {
        var stream = _stream;
        var index = PositionFor(stream, sequence);
        Interlocked.Increment(ref _ticks);
        if (stream.ReadFrame(index, _cache) is not { } jpeg)
        {
            Interlocked.Increment(ref _unreadableTicks);
            _metrics.FrameUnreadable(stream.Name);
            if (!ReferenceEquals(_unreadableLogged, stream))
            {
                // Once per version: until the rescan, most ticks may find the same change.
                _unreadableLogged = stream;
                OriginLog.FrameUnreadable(_logger, stream.Name, index);
            }

            return;
        }

        var frame = new Frame
        {
            Sequence = sequence,
            Pts90Khz = _clock.Pts90kHz(sequence),
            Jpeg = jpeg,
            SourceIndex = (uint)index,
        };
        _current = frame;
        foreach (var subscriber in _subscribers)
        {
            subscriber.Offer(frame);
        }

        _metrics.FramePublished(stream.Name, _subscribers.Count);
    }

    // Called with the gate held.
    private int PositionFor(MediaStream stream, ulong sequence)
    {
        var index = stream.Index;
        var count = index.Count;
        if (index.IsComplete)
        {
            _position = (int)(sequence % (ulong)count);
        }
        else
        {
            // Still growing: on from the last position by the ticks since, back to the start past the known end.
            var next = _position < 0 ? 0 : _position + (long)Math.Min(sequence - _positionSequence, (ulong)count);
            _position = next < count ? (int)next : 0;
        }

        _positionSequence = sequence;
        return _position;
    }
}
