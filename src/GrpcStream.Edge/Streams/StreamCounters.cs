namespace GrpcStream.Edge.Streams;

/// <summary>What the control API reports of one stream: its frames in and out, and its rate as measured.</summary>
internal readonly record struct StreamStats(long FramesIn, long FramesOut, TimeSpan? LastFrameAge, double Fps);

/// <summary>
/// A hub's frame counts and the arrival times of its last frames, from which the rate is measured. Written by
/// the hub's one watch loop, read by the control API: the lock is held for a few stores per frame.
/// </summary>
internal sealed class StreamCounters(TimeProvider time)
{
    // One second at 30 fps: the rate follows a change within a second or two.
    private const int Window = 32;

    // A stream that has been silent this long has no rate, whatever its last frames did.
    private static readonly TimeSpan Stale = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly long[] _arrivals = new long[Window];
    private long _framesIn;
    private long _framesOut;

    public void FrameArrived(long arrivedAt, int sessions)
    {
        lock (_gate)
        {
            _arrivals[_framesIn % Window] = arrivedAt;
            _framesIn++;
            _framesOut += sessions;
        }
    }

    public StreamStats Read()
    {
        lock (_gate)
        {
            if (_framesIn == 0)
            {
                return new StreamStats(0, 0, null, 0);
            }

            var newest = _arrivals[(_framesIn - 1) % Window];
            var age = time.GetElapsedTime(newest);
            var held = (int)Math.Min(_framesIn, Window);
            var span = time.GetElapsedTime(_arrivals[(_framesIn - held) % Window], newest);
            var fps = held < 2 || span <= TimeSpan.Zero || age > Stale ? 0 : (held - 1) / span.TotalSeconds;
            return new StreamStats(_framesIn, _framesOut, age, fps);
        }
    }
}
