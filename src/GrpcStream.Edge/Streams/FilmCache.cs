using System.Collections.Concurrent;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Origin;
using GrpcStream.Edge.Settings;
using GrpcStream.Rtsp.Jpeg;

namespace GrpcStream.Edge.Streams;

/// <summary>What the cache holds for one index of a film.</summary>
internal enum FilmFrameState
{
    /// <summary>Not here yet: fetch it (<see cref="FilmCache.FetchAsync"/>) and ask again.</summary>
    Missing,

    /// <summary>Here, packetized.</summary>
    Ready,

    /// <summary>The origin sent it, but it cannot be carried (not a JPEG RFC 2435 takes): play on past it.</summary>
    Unplayable,

    /// <summary>Past the film's last frame.</summary>
    End,
}

/// <summary>
/// The frames of the films played on demand, shared by every session of every film and bounded in bytes
/// (<see cref="OnDemandSettings.CacheBytes"/>, least recently used out). Frames come from the origin in runs
/// (<see cref="OnDemandSettings.RunFrames"/>): the misses of many sessions in one run are one fetch. Each frame is
/// packetized once, as it comes in, so that a session on demand only stamps its own RTP headers, as a live reader
/// does. A frame being sent is held by its senders' references and outlives its eviction until they let go.
/// </summary>
internal sealed class FilmCache : IDisposable
{
    private readonly IOriginSource _origin;
    private readonly OnDemandSettings _settings;
    private readonly int _maxPayloadSize;
    private readonly TimeProvider _time;
    private readonly EdgeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ConcurrentBag<SharedFrame> _pool = [];
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Film, long Index), LinkedListNode<Entry>> _frames = [];
    private readonly LinkedList<Entry> _recent = [];
    private readonly Dictionary<(string Film, long Run), Task> _fetching = [];
    private readonly Dictionary<(string Film, long Run), (long Until, Task Failure)> _failed = [];
    private readonly Dictionary<string, long> _ends = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lock> _sendGates = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private long _bytes;
    private long _fetches;
    private int _disposed;

    public FilmCache(IOriginSource origin, OnDemandSettings settings, int maxPayloadSize, TimeProvider time, EdgeMetrics metrics, ILogger logger)
    {
        (_origin, _settings, _maxPayloadSize, _time, _metrics, _logger) = (origin, settings, maxPayloadSize, time, metrics, logger);
        metrics.ObserveFilmCache(() => Bytes);
    }

    /// <summary>Bytes held now: the frames' JPEGs and their packets.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Runs asked of the origin, in all.</summary>
    public long Fetches => Interlocked.Read(ref _fetches);

    /// <summary>
    /// The lock under which a film's frames are sent: a UDP transport writes its RTP header into a shared frame's
    /// header room, so the sends of one frame by several sessions must not overlap, as a live hub's do not.
    /// </summary>
    public Lock SendGate(string film) => _sendGates.GetOrAdd(film, _ => new Lock());

    /// <summary>What is held for frame <paramref name="index"/> of <paramref name="film"/>; a ready frame comes with a reference the caller releases.</summary>
    public FilmFrameState TryGet(string film, long index, out SharedFrame? frame)
    {
        frame = null;
        lock (_gate)
        {
            if (_ends.TryGetValue(film, out var end) && index >= end)
            {
                return FilmFrameState.End;
            }

            if (!_frames.TryGetValue((film, index), out var node))
            {
                return FilmFrameState.Missing;
            }

            _recent.Remove(node);
            _recent.AddFirst(node);
            if (node.Value.Frame is not { } held)
            {
                return FilmFrameState.Unplayable;
            }

            held.AddReference();
            frame = held;
            return FilmFrameState.Ready;
        }
    }

    /// <summary>
    /// Fetches the run that holds frame <paramref name="index"/>, unless it is here or on its way; the task ends when
    /// the run is in (faulted when no origin served it). One fetch serves every caller of the run.
    /// </summary>
    public Task FetchAsync(string film, long index)
    {
        var run = index / _settings.RunFrames;
        TaskCompletionSource fetched;
        lock (_gate)
        {
            if (_fetching.TryGetValue((film, run), out var pending))
            {
                return pending;
            }

            if ((_ends.TryGetValue(film, out var end) && index >= end) || _frames.ContainsKey((film, index)))
            {
                return Task.CompletedTask;
            }

            // A run no origin served is asked again only after the retry delay, however many players wait for it.
            if (_failed.TryGetValue((film, run), out var failed))
            {
                if (_time.GetTimestamp() < failed.Until)
                {
                    return failed.Failure;
                }

                _failed.Remove((film, run));
            }

            fetched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _fetching[(film, run)] = fetched.Task;
        }

        // Outside the lock: the origin is asked without holding up the sessions reading what is here.
        _ = CompleteAsync(film, run, fetched);
        return fetched.Task;
    }

    private async Task CompleteAsync(string film, long run, TaskCompletionSource fetched)
    {
        Exception? failure = null;
        try
        {
            await FetchRunAsync(film, run).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Handed to every caller of the run through its task.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
        }

        // Out of the books first, so that a caller woken by the end finds no finished fetch to wait on.
        lock (_gate)
        {
            _fetching.Remove((film, run));
            if (failure is not null)
            {
                _failed[(film, run)] = (_time.GetTimestamp() + (long)(_settings.RetryDelay.TotalSeconds * _time.TimestampFrequency), fetched.Task);
            }
        }

        if (failure is null)
        {
            fetched.SetResult();
        }
        else
        {
            fetched.SetException(failure);
        }
    }

    /// <summary>Starts fetching the frames <see cref="OnDemandSettings.ReadAheadFrames"/> ahead of <paramref name="index"/>, so that a player does not wait at a run's end.</summary>
    public void ReadAhead(string film, long index)
    {
        var ahead = index + _settings.ReadAheadFrames;
        for (var next = index - (index % _settings.RunFrames) + _settings.RunFrames; next <= ahead; next += _settings.RunFrames)
        {
            // Called at every tick of every player: nothing is allocated for a run that is here already.
            if (FetchAsync(film, next) is { IsCompletedSuccessfully: false } fetch)
            {
                _ = fetch.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private async Task FetchRunAsync(string film, long run)
    {
        Interlocked.Increment(ref _fetches);
        _metrics.FilmRunFetched();
        var first = run * _settings.RunFrames;
        var received = 0;
        var packetizer = new RtpJpegPacketizer(_maxPayloadSize);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(_settings.FetchTimeout);
        try
        {
            await _origin.ReadFramesAsync(
                film,
                (ulong)first,
                _settings.RunFrames,
                frame =>
                {
                    received++;
                    Add(film, (long)frame.Sequence, Packetize(packetizer, film, frame));
                },
                timeout.Token).ConfigureAwait(false);

            if (received < _settings.RunFrames)
            {
                // A short run: the film ends there (a film still being indexed at the origin may end further on
                // later; its end is asked again when a session plays it anew).
                lock (_gate)
                {
                    _ends[film] = first + received;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_stop.IsCancellationRequested)
        {
            throw new OriginUnavailableException($"no origin served frames {first}-{first + _settings.RunFrames - 1} of '{film}' within {_settings.FetchTimeout.TotalSeconds} s");
        }
    }

    // A frame that cannot be carried is kept as a hole, so that players pass it instead of waiting for it.
    private SharedFrame? Packetize(RtpJpegPacketizer packetizer, string film, OriginFrame frame)
    {
        var jpeg = frame.Jpeg.Span;
        var shared = SharedFrame.Rent(_pool);
        string? problem;
        try
        {
            problem = JpegParser.TryParse(jpeg, out var info) ? null : "truncated JPEG";
            if (problem is null)
            {
                packetizer.Packetize(jpeg, info, shared.Packets);
            }
        }
        catch (Exception ex) when (ex is JpegFormatException or RtpJpegException)
        {
            problem = ex.Message;
        }

        if (problem is not null)
        {
            _pool.Add(shared);
            EdgeLog.FrameNotCarriable(_logger, film, frame.Sequence, problem);
            return null;
        }

        shared.Set(frame.Sequence, frame.Pts90Khz, _time.GetTimestamp(), jpeg);
        return shared;
    }

    private void Add(string film, long index, SharedFrame? frame)
    {
        List<SharedFrame>? evicted = null;
        lock (_gate)
        {
            if (_frames.ContainsKey((film, index)))
            {
                frame?.Release(); // two runs overlapped: the first copy stays
                return;
            }

            var entry = new Entry(film, index, frame, frame is null ? 64 : frame.WholeFramePacket.Length + frame.Packets.PayloadBytes);
            _frames[(film, index)] = _recent.AddFirst(entry);
            _bytes += entry.Bytes;
            while (_bytes > _settings.CacheBytes && _recent.Last is { } oldest && oldest.Value != entry)
            {
                _recent.RemoveLast();
                _frames.Remove((oldest.Value.Film, oldest.Value.Index));
                _bytes -= oldest.Value.Bytes;
                if (oldest.Value.Frame is { } gone)
                {
                    (evicted ??= []).Add(gone);
                }
            }
        }

        // Released outside the lock: the last reference returns the frame to the pool.
        evicted?.ForEach(frame => frame.Release());
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stop.Cancel();
        lock (_gate)
        {
            foreach (var entry in _recent)
            {
                entry.Frame?.Release();
            }

            _recent.Clear();
            _frames.Clear();
            _bytes = 0;
        }

        _stop.Dispose();
    }

    private sealed record Entry(string Film, long Index, SharedFrame? Frame, long Bytes);
}
