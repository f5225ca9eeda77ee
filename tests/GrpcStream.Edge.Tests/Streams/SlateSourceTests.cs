using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Edge.Tests.Streams;

/// <summary>
/// The slate alone, on a fake clock: due only after the silence setting, then once a second (not at every check),
/// on the stream's frame grid; a real frame ends it unless it is older than the slate's time; its total time
/// counts every outage.
/// </summary>
public class SlateSourceTests
{
    private const ulong Period = 3600; // 25 fps at 90 kHz
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly SlateSource _slate;

    public SlateSourceTests() =>
        _slate = new SlateSource("cam", new OriginSettings { SlateAfter = TimeSpan.FromSeconds(1) }, _time, EdgeParts.Metrics(), NullLogger.Instance);

    private void Real(ulong sequence)
    {
        Assert.True(_slate.Admits(sequence * Period));
        _slate.Sent(sequence, sequence * Period, _time.GetTimestamp(), 640, 480);
    }

    /// <summary>The slate frames due over <paramref name="span"/>, asked at every check as the hub's timer does.</summary>
    private List<SlateFrame> Run(TimeSpan span)
    {
        var due = new List<SlateFrame>();
        for (var at = TimeSpan.Zero; at < span; at += SlateSource.Check)
        {
            _time.Advance(SlateSource.Check);
            if (_slate.Due() is { } frame)
            {
                due.Add(frame);
                _slate.SentSlate();
            }
        }

        return due;
    }

    [Fact]
    public void After_the_silence_setting_one_frame_a_second_on_the_streams_grid_and_a_real_frame_ends_it()
    {
        Assert.Null(_slate.Due()); // nothing real yet: nothing to slate
        for (ulong sequence = 1; sequence <= 5; sequence++)
        {
            Real(sequence);
            _time.Advance(TimeSpan.FromMilliseconds(40));
        }

        var frames = Run(TimeSpan.FromSeconds(3.5));

        Assert.True(_slate.Active);
        Assert.Equal(3, frames.Count); // at about 1, 2 and 3 seconds of silence
        Assert.All(frames, frame => Assert.Equal((5UL, 0UL), (frame.Sequence, (frame.Pts - 5 * Period) % Period)));
        Assert.True(frames[1].Pts - frames[0].Pts >= 90_000 - Period, "a second apart on the timeline");

        // The origin replays a frame from before the slate's time: refused, and the slate goes on.
        Assert.False(_slate.Admits(6 * Period));
        Assert.True(_slate.Active);

        // A frame after it ends the slate.
        var after = frames[^1].Pts + Period;
        Assert.True(_slate.Admits(after));
        Assert.False(_slate.Active);
        var first = _slate.Total;
        Assert.True(first >= TimeSpan.FromSeconds(2.5), $"{first} on the slate");

        // A second outage adds to the total.
        _slate.Sent(100, after, _time.GetTimestamp(), 640, 480);
        Assert.Single(Run(TimeSpan.FromSeconds(1.5)));
        Assert.True(_slate.Total > first);
    }
}
