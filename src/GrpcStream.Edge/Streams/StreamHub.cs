using System.Collections.Concurrent;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Origin;
using GrpcStream.Rtsp.Jpeg;

namespace GrpcStream.Edge.Streams;

/// <summary>
/// One stream at the edge: a single origin subscription however many sessions watch it. Each frame is
/// packetized once and handed to every playing session, which adds only its own RTP header. The latest frame is
/// kept, so a new PLAY starts at once instead of at the next tick. While no frame comes for a while, the hub
/// sends its <see cref="SlateSource"/>'s frames instead, through the same packetizer and fan-out. The hub reaches its
/// origin through <see cref="IOriginSource"/> and its sessions through <see cref="IFrameSink"/> only.
/// </summary>
#pragma warning disable CA1001 // _stop is disposed by the watch loop as it ends (see WatchAsync), never by a caller.
internal sealed class StreamHub : IFrameSource
#pragma warning restore CA1001
{
    private readonly Lock _gate = new();

    // UDP sessions write their headers into the shared frame's header room; sends of one hub never overlap.
    private readonly Lock _sendGate = new();
    private readonly ConcurrentBag<SharedFrame> _pool = [];
    private readonly IOriginSource _origin;
    private readonly Settings.OriginSettings _settings;

    // One frame at a time into the packetizer and the fan-out: the origin's, or the slate's.
    private readonly Lock _frameGate = new();
    private readonly RtpJpegPacketizer _packetizer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<StreamHub> _release;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstFrame = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IFrameSink[] _playing = [];
    private SharedFrame? _latest;
    private TaskCompletionSource<SharedFrame?>? _next;
    private int _nextWaiters;
    private bool _stopped;
    private bool _watchEnded;
    private ITimer? _slateTimer;
    private readonly SlateSource _slate;

    /// <param name="name">The stream.</param>
    /// <param name="origin">Where its frames come from.</param>
    /// <param name="maxPayloadSize">Largest RTP payload.</param>
    /// <param name="settings">The slate's settings.</param>
    /// <param name="metrics">Where the slate's frames are counted.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The log.</param>
    /// <param name="release">Called when a user is done with the hub (the registry counts users).</param>
    public StreamHub(string name, IOriginSource origin, int maxPayloadSize, Settings.OriginSettings settings, EdgeMetrics metrics, TimeProvider time, ILogger logger, Action<StreamHub> release)
    {
        Name = name;
        _release = release;
        _origin = origin;
        _settings = settings;
        _slate = new SlateSource(name, settings, time, metrics, logger);
        _packetizer = new RtpJpegPacketizer(maxPayloadSize);
        _time = time;
        _logger = logger;
        Counters = new StreamCounters(time);
    }

    public string Name { get; }

    /// <summary>Frames in and out and the measured rate, for the control API.</summary>
    public StreamCounters Counters { get; }

    /// <summary>True once watching failed for good (the link retries every failure, so this is a bug's mark).</summary>
    public bool Gone { get; private set; }

    /// <summary>The watch of the origin stream: ends once the hub is stopped.</summary>
    public Task Watching { get; private set; } = Task.CompletedTask;

    /// <summary>True while the stream's sessions get the slate.</summary>
    public bool OnSlate => _slate.Active;

    /// <summary>Time spent on the slate, in all, including now.</summary>
    public TimeSpan SlateTime => _slate.Total;

    public void Start()
    {
        if (_settings.Slate)
        {
            _slateTimer = _time.CreateTimer(_ => SlateTick(), null, SlateSource.Check, SlateSource.Check);
        }

        Watching = Task.Run(WatchAsync);
    }

    public void Release() => _release(this);

    /// <summary>Waits (at most <paramref name="timeout"/>) until a frame is held, so that PLAY can start with it.</summary>
    public async Task WaitForFirstFrameAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _firstFrame.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The origin is slow or away: play starts with whatever frame comes first.
        }
    }

    /// <summary>Starts sending to <paramref name="session"/>, beginning with the latest frame right away.</summary>
    public void Play(IFrameSink session)
    {
        SharedFrame? latest;
        lock (_gate)
        {
            if (_stopped || Array.IndexOf(_playing, session) >= 0)
            {
                return;
            }

            _playing = [.. _playing, session];
            latest = _latest;
            latest?.AddReference();
        }

        if (latest is not null)
        {
            lock (_sendGate)
            {
                session.Send(latest);
            }

            latest.Release();
        }
    }

    public void Pause(IFrameSink session)
    {
        lock (_gate)
        {
            if (Array.IndexOf(_playing, session) >= 0)
            {
                _playing = [.. _playing.Where(s => s != session)];
            }
        }
    }

    /// <summary>The latest frame with a reference the caller releases; null before the first frame.</summary>
    public SharedFrame? Latest()
    {
        lock (_gate)
        {
            _latest?.AddReference();
            return _latest;
        }
    }

    /// <summary>The next frame to arrive, with a reference the caller releases; null when none came in time.</summary>
    public async Task<SharedFrame?> NextFrameAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task<SharedFrame?> next;
        lock (_gate)
        {
            if (_stopped)
            {
                return null;
            }

            // One completion for every waiter, made only while somebody waits, and a reference for each waiter
            // taken when the frame arrives: the frame path allocates nothing otherwise.
            next = (_next ??= new TaskCompletionSource<SharedFrame?>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            _nextWaiters++;
        }

        try
        {
            return await next.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            lock (_gate)
            {
                if (!next.IsCompleted)
                {
                    _nextWaiters--;
                    next = Task.FromResult<SharedFrame?>(null);
                }
            }

            // Given up just as the frame came: the reference taken for this waiter goes back.
            (await next.ConfigureAwait(false))?.Release();
            if (ex is OperationCanceledException)
            {
                throw;
            }

            return null;
        }
    }

    public bool IsLive => true;

    /// <summary>A live stream has no end.</summary>
    public double? Duration => null;

    /// <summary>A live stream plays from now.</summary>
    public double Position => 0;

    /// <summary>PLAY starts with the latest frame.</summary>
    public uint? NextPts => LatestTime?.Pts;

    /// <summary>A live stream plays from now, whatever is asked.</summary>
    public bool Seek(double seconds) => false;

    /// <summary>The latest frame's 90 kHz time, for RTP-Info and sender reports; null before the first frame.</summary>
    public (uint Pts, long ArrivedAt)? LatestTime
    {
        get
        {
            lock (_gate)
            {
                return _latest is { } frame ? (frame.Pts, frame.ArrivedAt) : null;
            }
        }
    }

    private async Task WatchAsync()
    {
        try
        {
            await _origin.WatchAsync(Name, OnFrame, _stop.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The link retries every failure; should it still fail, the hub is marked gone and the next SETUP starts a new one.
        catch (Exception ex) when (!_stop.IsCancellationRequested)
#pragma warning restore CA1031
        {
            Gone = true;
            EdgeLog.WatchFailed(_logger, Name, ex);
        }
        finally
        {
            lock (_gate)
            {
                if (_stopped)
                {
                    _latest?.Release();
                    _latest = null;
                    _playing = [];
                }

                _watchEnded = true;
                _stop.Dispose();
                _slateTimer?.Dispose();
            }
        }
    }

    private void OnFrame(OriginFrame frame)
    {
        var jpeg = frame.Jpeg.Span;
        JpegImageInfo info;
        try
        {
            if (!JpegParser.TryParse(jpeg, out info))
            {
                EdgeLog.FrameNotCarriable(_logger, Name, frame.Sequence, "truncated JPEG");
                return;
            }
        }
        catch (JpegFormatException ex)
        {
            EdgeLog.FrameNotCarriable(_logger, Name, frame.Sequence, ex.Message);
            return;
        }

        lock (_frameGate)
        {
            if (_slate.Admits(frame.Pts90Khz) && Publish(frame.Sequence, frame.Pts90Khz, jpeg, info) is { } arrivedAt)
            {
                _slate.Sent(frame.Sequence, frame.Pts90Khz, arrivedAt, info.Width, info.Height);
            }
        }
    }

    /// <summary>Sends the slate's frame when one is due, in turn with the origin's frames.</summary>
    private void SlateTick()
    {
        lock (_frameGate)
        {
            if (_slate.Due() is { } slate && JpegParser.TryParse(slate.Jpeg, out var info)
                && Publish(slate.Sequence, slate.Pts, slate.Jpeg, info) is not null)
            {
                _slate.SentSlate();
            }
        }
    }

    /// <summary>Packetizes a frame once and hands it to every playing session; returns when it arrived, or null if it was not sent.</summary>
    private long? Publish(ulong sequence, ulong pts, ReadOnlySpan<byte> jpeg, in JpegImageInfo info)
    {
        var shared = SharedFrame.Rent(_pool);
        try
        {
            _packetizer.Packetize(jpeg, info, shared.Packets);
        }
        catch (RtpJpegException ex)
        {
            EdgeLog.FrameNotCarriable(_logger, Name, sequence, ex.Reason.ToString());
            _pool.Add(shared);
            return null;
        }

        IFrameSink[] playing;
        SharedFrame? previous;
        long arrivedAt;
        lock (_gate)
        {
            if (_stopped)
            {
                _pool.Add(shared);
                return null;
            }

            arrivedAt = _time.GetTimestamp();
            shared.Set(sequence, pts, arrivedAt, jpeg);
            previous = _latest;
            _latest = shared;
            playing = _playing;
            if (_next is { } waiting)
            {
                for (var i = 0; i < _nextWaiters; i++)
                {
                    shared.AddReference();
                }

                (_next, _nextWaiters) = (null, 0);
                waiting.TrySetResult(shared);
            }
        }

        Counters.FrameArrived(arrivedAt, playing.Length);

        lock (_sendGate)
        {
            foreach (var session in playing)
            {
                session.Send(shared);
            }
        }

        previous?.Release();
        _firstFrame.TrySetResult();
        return arrivedAt;
    }

    /// <summary>
    /// Stops watching the origin, without waiting: the watch ends on its own (<see cref="Watching"/>) and lets go
    /// of the latest frame as it does. Safe under the registry's lock.
    /// </summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            _slateTimer?.Dispose();
            _next?.TrySetResult(null);
            (_next, _nextWaiters) = (null, 0);
            if (_watchEnded)
            {
                _latest?.Release();
                _latest = null;
                _playing = [];
                return;
            }

            _stop.Cancel();
        }
    }
}
