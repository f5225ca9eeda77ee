namespace GrpcStream.Edge.Streams;

/// <summary>What a film is, as its origin describes it.</summary>
/// <param name="Name">The stream.</param>
/// <param name="FrameRate">Frames per second.</param>
/// <param name="FrameCount">Its frames; 0 while the origin is still indexing it (the end is found by playing).</param>
/// <param name="Loop">Whether it starts again after its last frame instead of ending.</param>
internal sealed record Film(string Name, double FrameRate, long FrameCount, bool Loop)
{
    public double? Duration => FrameCount > 0 ? FrameCount / FrameRate : null;

    /// <summary>The 90 kHz time of frame <paramref name="index"/>, as the origin stamps it.</summary>
    public ulong PtsOf(long index) => (ulong)decimal.Round(index * 90_000m / (decimal)FrameRate);
}

/// <summary>
/// One session's place in a film played on demand: its own position and its own clock. While it plays, its timer
/// sends the frames due since PLAY at the film's rate, from the shared <see cref="FilmCache"/>; PAUSE stops the
/// clock and keeps the place; a seek moves it. A frame not in the cache yet is fetched and waited for (the film
/// waits, it does not skip), including while every origin is down. At the last frame the sink is told the film
/// ended (a player sends RTCP BYE), unless the film loops.
/// </summary>
internal sealed class FilmCursor : IFrameSource
{
    // Frames sent at once at most when the timer comes late: a late tick catches up, a long stall does not burst.
    private const int MaxCatchUp = 4;

    private readonly Lock _gate = new();
    private readonly Film _film;
    private readonly FilmCache _cache;
    private readonly TimeProvider _time;
    private readonly Lock _sendGate;
    private readonly ITimer _timer;
    private IFrameSink? _sink;
    private long _position;
    private long _anchorAt;
    private long _anchorIndex;
    private (uint Pts, long ArrivedAt)? _latest;
    private bool _released;
    private bool _waiting;

    public FilmCursor(Film film, FilmCache cache, TimeProvider time)
    {
        (_film, _cache, _time) = (film, cache, time);
        _sendGate = cache.SendGate(film.Name);
        _timer = time.CreateTimer(_ => Tick(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string Name => _film.Name;

    public bool IsLive => false;

    public double? Duration => _film.Duration;

    /// <summary>The index of the next frame to send.</summary>
    public long Index
    {
        get
        {
            lock (_gate)
            {
                return _position;
            }
        }
    }

    public double Position => Index / _film.FrameRate;

    public uint? NextPts => (uint)_film.PtsOf(Index);

    public (uint Pts, long ArrivedAt)? LatestTime
    {
        get
        {
            lock (_gate)
            {
                return _latest;
            }
        }
    }

    public bool Seek(double seconds)
    {
        var index = (long)Math.Floor(Math.Max(seconds, 0) * _film.FrameRate);
        lock (_gate)
        {
            _position = _film.FrameCount > 0 ? Math.Min(index, _film.FrameCount) : index;
            Anchor(_time.GetTimestamp());
            return true;
        }
    }

    /// <summary>The frame at the position is in the cache, or the wait is over: PLAY then starts at once.</summary>
    public async Task WaitForFirstFrameAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _cache.FetchAsync(Name, Index).WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Slow origins: the play waits for the frame instead.
        }
    }

    /// <summary>Starts the film's clock from the position: the frame there is sent at once, the next a period later.</summary>
    public void Play(IFrameSink sink)
    {
        lock (_gate)
        {
            if (_released)
            {
                return;
            }

            _sink = sink;
            Anchor(_time.GetTimestamp());
            _timer.Change(TimeSpan.Zero, TimeSpan.FromSeconds(1 / _film.FrameRate));
        }
    }

    /// <summary>Stops the clock: the position stays, and nothing is sent once this returns.</summary>
    public void Pause(IFrameSink sink)
    {
        lock (_gate)
        {
            if (_sink == sink)
            {
                Stop();
            }
        }
    }

    /// <summary>The frame at the position, if it is in the cache (a snapshot); null otherwise.</summary>
    public SharedFrame? Latest() =>
        _cache.TryGet(Name, Index, out var frame) == FilmFrameState.Ready ? frame : null;

    /// <summary>The frame at the position, fetched if need be, with a reference the caller releases; null when none came in time.</summary>
    public async Task<SharedFrame?> NextFrameAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await WaitForFirstFrameAsync(timeout, cancellationToken).ConfigureAwait(false);
        return Latest();
    }

    public void Release()
    {
        lock (_gate)
        {
            _released = true;
            Stop();
        }

        _timer.Dispose();
    }

    // Called with the gate held: the frame at the position is due now.
    private void Anchor(long now) => (_anchorAt, _anchorIndex) = (now, _position);

    // Called with the gate held.
    private void Stop()
    {
        _sink = null;
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private void Tick()
    {
        lock (_gate)
        {
            if (_sink is not { } sink)
            {
                return;
            }

            var now = _time.GetTimestamp();
            if (_waiting)
            {
                // The film stood still while it waited: it goes on from now, with no catching up.
                Anchor(now);
                _waiting = false;
            }

            var due = _anchorIndex + (long)Math.Floor(_time.GetElapsedTime(_anchorAt, now).TotalSeconds * _film.FrameRate);
            if (due - _position >= MaxCatchUp)
            {
                // Far behind (a stalled machine): on from here, at the film's rate, rather than a burst.
                Anchor(now);
                due = _position;
            }

            while (_position <= due)
            {
                switch (_cache.TryGet(Name, _position, out var frame))
                {
                    case FilmFrameState.Ready:
                        lock (_sendGate)
                        {
                            sink.Send(frame!);
                        }

                        _latest = (frame!.Pts, now);
                        frame.Release();
                        _position++;
                        break;
                    case FilmFrameState.Unplayable:
                        _position++;
                        break;
                    case FilmFrameState.End when _film.Loop && _position > 0:
                        _position = 0;
                        Anchor(now);
                        due = 0;
                        break;
                    case FilmFrameState.End when _latest is { } last && _time.GetElapsedTime(last.ArrivedAt, now).TotalSeconds * _film.FrameRate < 1:
                        // The end is told a frame period after the last frame, never with it: a player reads RTP
                        // and RTCP on two sockets over UDP, and a BYE read first would cut the last frame off.
                        return;
                    case FilmFrameState.End:
                        Stop();
                        sink.Ended();
                        return;
                    default:
                        Wait(now);
                        return;
                }
            }

            _cache.ReadAhead(Name, _position);
        }
    }

    // The next frame is not here: it is asked for (the cache asks the origins again only once the retry delay has
    // passed after a failure) and the clock waits for it, so that it is sent as soon as it comes and the film goes on
    // from there.
    private void Wait(long now)
    {
        Anchor(now);
        _waiting = true;
        _ = _cache.FetchAsync(Name, _position).ContinueWith(
            static fetch => _ = fetch.Exception,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}
