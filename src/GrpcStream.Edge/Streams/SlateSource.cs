using GrpcStream.Edge.Diagnostics;

namespace GrpcStream.Edge.Streams;

/// <summary>A slate frame that is due: its picture and where it sits on the stream's timeline.</summary>
/// <param name="Sequence">The last real frame's sequence number (a slate frame is no frame of the origin's).</param>
/// <param name="Pts">Its 90 kHz time: on the stream's frame grid, as if real frames had gone on.</param>
/// <param name="Jpeg">The "stream unavailable" picture, at the last real frame's size.</param>
internal readonly record struct SlateFrame(ulong Sequence, ulong Pts, byte[] Jpeg);

/// <summary>
/// The slate as a frame source of its own: it watches the stream's real frames go by and, once none has come for
/// <see cref="Settings.OriginSettings.SlateAfter"/> (or two frame periods of a slower stream), has a slate frame due
/// every second, timed on the stream's frame grid so that players' RTP timelines run on and real frames continue
/// them. Frame silence alone decides, not what the origin link believes: a link cut without a reset still looks
/// connected until gRPC's keepalive gives up, many seconds later. It holds no lock: its owner (the hub) calls it
/// from one frame at a time.
/// </summary>
internal sealed class SlateSource(string name, Settings.OriginSettings settings, TimeProvider time, EdgeMetrics metrics, ILogger logger)
{
    /// <summary>The slate's frame period: one a second.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    /// <summary>How often the owner should ask for a frame: a quarter of the period, so none comes late by more.</summary>
    public static readonly TimeSpan Check = Period / 4;

    // The last real frame: the slate takes its size and continues its time.
    private (ulong Sequence, ulong Pts, long ArrivedAt, int Width, int Height)? _lastReal;
    private ulong _framePeriod;
    private long _since = -1;
    private TimeSpan _total;
    private long _lastSent;
    private ulong _pts;

    /// <summary>True while the stream's sessions get the slate.</summary>
    public bool Active => Volatile.Read(ref _since) >= 0;

    /// <summary>Time spent on the slate, in all, including now.</summary>
    public TimeSpan Total
    {
        get
        {
            var since = Volatile.Read(ref _since);
            return _total + (since >= 0 ? time.GetElapsedTime(since) : TimeSpan.Zero);
        }
    }

    /// <summary>
    /// A real frame of time <paramref name="pts"/> is about to be sent: it ends the slate, and false when it must be
    /// dropped instead (an origin replaying frames from before the slate's time would turn players' clocks back).
    /// </summary>
    public bool Admits(ulong pts)
    {
        if (_since < 0)
        {
            return true;
        }

        if (pts <= _pts)
        {
            return false;
        }

        var slate = time.GetElapsedTime(_since);
        _total += slate;
        Volatile.Write(ref _since, -1);
        EdgeLog.SlateEnded(logger, name, slate.TotalSeconds);
        return true;
    }

    /// <summary>A real frame was sent: the slate's timeline and size follow it.</summary>
    public void Sent(ulong sequence, ulong pts, long arrivedAt, int width, int height)
    {
        if (_lastReal is { } previous && sequence > previous.Sequence && pts > previous.Pts)
        {
            _framePeriod = (pts - previous.Pts) / (sequence - previous.Sequence);
        }

        _lastReal = (sequence, pts, arrivedAt, width, height);
    }

    /// <summary>The slate frame due now, if one is: the stream has been silent long enough, and the last slate frame is a period old.</summary>
    public SlateFrame? Due()
    {
        if (_lastReal is not { } last || time.GetElapsedTime(last.ArrivedAt) < SilenceBeforeSlate
            || (_since >= 0 && time.GetElapsedTime(_lastSent) < Period))
        {
            return null;
        }

        var now = time.GetTimestamp();
        if (_since < 0)
        {
            Volatile.Write(ref _since, now);
            _lastSent = last.ArrivedAt;
            EdgeLog.SlateStarted(logger, name, time.GetElapsedTime(last.ArrivedAt, now).TotalSeconds, last.Width, last.Height);
        }

        // On the stream's frame grid, where its real frames will be: players see frames skipped, not moved.
        var elapsed = (ulong)(time.GetElapsedTime(last.ArrivedAt, now).TotalSeconds * 90_000);
        _pts = last.Pts + (_framePeriod > 0 ? elapsed / _framePeriod * _framePeriod : elapsed);
        return new SlateFrame(last.Sequence, _pts, SlateImage.Render(last.Width, last.Height, time.GetUtcNow()));
    }

    /// <summary>The slate frame that was due went out.</summary>
    public void SentSlate()
    {
        var now = time.GetTimestamp();
        metrics.SlateFrame(time.GetElapsedTime(_lastSent, now));
        _lastSent = now;
    }

    /// <summary>
    /// How long the stream must be silent before the slate: <see cref="Settings.OriginSettings.SlateAfter"/>, or two
    /// frame periods when its frames come further apart than that (a stream at one frame in five seconds is not
    /// slated between every two of them).
    /// </summary>
    private TimeSpan SilenceBeforeSlate => _framePeriod == 0
        ? settings.SlateAfter
        : TimeSpan.FromTicks(Math.Max(settings.SlateAfter.Ticks, (long)Math.Min(_framePeriod * 2 * TimeSpan.TicksPerSecond / 90_000.0, TimeSpan.MaxValue.Ticks / 2.0)));
}
