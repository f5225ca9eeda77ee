extern alias origin;
using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Tests.Fakes;
using GrpcStream.Rtsp.Jpeg;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TestPatternStream = origin::GrpcStream.Origin.Sample.TestPatternStream;

namespace GrpcStream.Edge.Tests.Streams;

/// <summary>
/// One stream's hub on a fake clock, fed by a fake origin on the test's thread: what its sessions get, when, and
/// when the slate takes over. No socket, no real time: every step is the clock advanced or a frame pushed.
/// </summary>
public sealed class StreamHubTests : IAsyncDisposable
{
    /// <summary>25 frames a second on the 90 kHz clock.</summary>
    private const ulong Period = 3600;

    private static readonly byte[][] Jpegs = [.. Enumerable.Range(0, 4).Select(i => TestPatternStream.EncodeFrame(i, 4))];

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-07T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly FakeOriginSource _source = new();
    private readonly EdgeOptions _options = new();
    private StreamHubRegistry? _registry;

    private StreamHubRegistry Registry => _registry ??= new StreamHubRegistry(_source, Options.Create(_options), EdgeParts.Metrics(), _time, NullLogger<StreamHub>.Instance);

    public async ValueTask DisposeAsync()
    {
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }
    }

    private async Task<(StreamHub Hub, HubLease Lease, FakeWatch Watch)> StartAsync(string name = "cam")
    {
        var lease = Registry.Acquire(name);
        var watch = await _source.NextWatchAsync();
        Assert.Equal(name, watch.Name);
        return ((StreamHub)lease.Source, lease, watch);
    }

    private static void Push(FakeWatch watch, ulong sequence) => watch.Push(sequence, sequence * Period, Jpegs[sequence % 4]);

    /// <summary>Advances the clock in steps of its slate check, so that each timer tick sees its own time.</summary>
    private void Advance(TimeSpan by)
    {
        var step = TimeSpan.FromMilliseconds(50);
        for (var left = by; left > TimeSpan.Zero; left -= step)
        {
            _time.Advance(left < step ? left : step);
        }
    }

    [Fact]
    public async Task Every_playing_sink_gets_the_same_packetized_frame_and_a_new_one_starts_with_the_latest()
    {
        var (hub, lease, watch) = await StartAsync();
        using var _ = lease;
        var (first, second) = (new RecordingSink(), new RecordingSink());
        hub.Play(first);
        hub.Play(second);

        Push(watch, 1);
        Push(watch, 2);

        Assert.Equal([1UL, 2UL], first.Sequences);
        Assert.Equal([1UL, 2UL], second.Sequences);
        Assert.All(first.Frames.Zip(second.Frames), pair => Assert.Same(pair.First.Frame, pair.Second.Frame));
        Assert.True(first.Frames[^1].Packets > 1, "the test pattern is packetized into several RTP packets");

        var late = new RecordingSink();
        hub.Play(late);
        Assert.Equal([2UL], late.Sequences);
    }

    [Fact]
    public async Task A_paused_sink_gets_nothing_more_and_the_others_go_on()
    {
        var (hub, lease, watch) = await StartAsync();
        using var _ = lease;
        var (paused, playing) = (new RecordingSink(), new RecordingSink());
        hub.Play(paused);
        hub.Play(playing);
        Push(watch, 1);

        hub.Pause(paused);
        Push(watch, 2);
        Push(watch, 3);

        Assert.Equal([1UL], paused.Sequences);
        Assert.Equal([1UL, 2UL, 3UL], playing.Sequences);
    }

    [Fact]
    public async Task The_first_frame_is_awaited_and_a_wait_without_one_ends_at_its_timeout()
    {
        var (hub, lease, watch) = await StartAsync();
        using var _ = lease;
        var timeout = TimeSpan.FromSeconds(5);

        var waiting = hub.WaitForFirstFrameAsync(timeout, CancellationToken.None);
        Advance(timeout - TimeSpan.FromMilliseconds(100));
        Assert.False(waiting.IsCompleted);
        Push(watch, 7);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(7 * (uint)Period, hub.LatestTime?.Pts);

        var (other, otherLease, _) = await StartAsync("other");
        using var __ = otherLease;
        var unanswered = other.WaitForFirstFrameAsync(timeout, CancellationToken.None);
        Advance(timeout + TimeSpan.FromMilliseconds(100));
        await unanswered.WaitAsync(TimeSpan.FromSeconds(10)); // ends without a frame and without an exception
        Assert.Null(other.LatestTime);
    }

    [Fact]
    public async Task The_next_frame_comes_to_every_waiter_and_a_wait_without_one_gives_null()
    {
        _options.Origin.Slate = false; // else the slate would be the next frame
        var (hub, lease, watch) = await StartAsync();
        using var _ = lease;
        var a = hub.NextFrameAsync(TimeSpan.FromSeconds(2), CancellationToken.None);
        var b = hub.NextFrameAsync(TimeSpan.FromSeconds(2), CancellationToken.None);
        Push(watch, 3);

        using (var frameA = new Released(await a.WaitAsync(TimeSpan.FromSeconds(10))))
        using (var frameB = new Released(await b.WaitAsync(TimeSpan.FromSeconds(10))))
        {
            Assert.Equal(3UL, frameA.Frame?.Sequence);
            Assert.Same(frameA.Frame, frameB.Frame);
        }

        var none = hub.NextFrameAsync(TimeSpan.FromSeconds(2), CancellationToken.None);
        Advance(TimeSpan.FromSeconds(3));
        Assert.Null(await none.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Frame_silence_brings_the_slate_after_its_setting_though_the_link_believes_it_receives_and_the_first_new_frame_ends_it()
    {
        _options.Origin.SlateAfter = TimeSpan.FromSeconds(1);
        var (hub, lease, watch) = await StartAsync();
        using var _ = lease;
        var sink = new RecordingSink();
        hub.Play(sink);
        _source.Receiving = true; // a link cut without a reset: gRPC has not noticed

        for (ulong s = 1; s <= 5; s++)
        {
            Push(watch, s);
            Advance(TimeSpan.FromMilliseconds(40));
        }

        var real = sink.Frames[^1];
        Advance(TimeSpan.FromMilliseconds(900)); // 0.94 s of silence
        Assert.False(hub.OnSlate);
        Assert.Equal(5, sink.Frames.Count);

        Advance(TimeSpan.FromMilliseconds(300)); // past 1 s
        Assert.True(hub.OnSlate);
        var slate = Assert.Single(sink.Frames.Skip(5));
        Assert.Equal((real.Width, real.Height), (slate.Width, slate.Height));
        Assert.NotEqual(real.Size, slate.Size);
        Assert.True(slate.Pts > real.Pts && (slate.Pts - real.Pts) % Period == 0, $"the slate's time {slate.Pts} continues the stream's frame grid after {real.Pts}");

        Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(7, sink.Frames.Count);
        Assert.Equal(90_000UL, sink.Frames[^1].Pts - sink.Frames[^2].Pts);

        // A frame the origin replays from before the slate's time would turn players' clocks back: dropped.
        Push(watch, 6);
        Assert.Equal(7, sink.Frames.Count);
        Assert.True(hub.OnSlate);

        // The first frame after it is live again.
        var live = (sink.Frames[^1].Pts / Period) + 1;
        Push(watch, live);
        Assert.False(hub.OnSlate);
        Assert.Equal(live, sink.Frames[^1].Sequence);
        Assert.True(hub.SlateTime >= TimeSpan.FromSeconds(1));

        Advance(TimeSpan.FromMilliseconds(900));
        Assert.Equal(8, sink.Frames.Count);
    }

    [Fact]
    public async Task A_stream_slower_than_the_slate_setting_is_slated_only_after_two_of_its_frame_periods()
    {
        _options.Origin.SlateAfter = TimeSpan.FromSeconds(1);
        var (hub, lease, watch) = await StartAsync();
        using var _ = lease;
        var sink = new RecordingSink();
        hub.Play(sink);
        const ulong fiveSeconds = 5 * 90_000;

        watch.Push(0, 0, Jpegs[0]);
        watch.Push(1, fiveSeconds, Jpegs[1]);
        Advance(TimeSpan.FromSeconds(5));
        watch.Push(2, 2 * fiveSeconds, Jpegs[2]);
        Advance(TimeSpan.FromSeconds(9.8));
        Assert.False(hub.OnSlate);
        Assert.Equal(3, sink.Frames.Count);

        Advance(TimeSpan.FromSeconds(0.5));
        Assert.True(hub.OnSlate);
    }

    [Fact]
    public async Task No_slate_when_it_is_turned_off()
    {
        _options.Origin.Slate = false;
        var (hub, lease, watch) = await StartAsync();
        using var _ = lease;
        var sink = new RecordingSink();
        hub.Play(sink);
        Push(watch, 1);

        Advance(TimeSpan.FromSeconds(5));

        Assert.False(hub.OnSlate);
        Assert.Single(sink.Frames);
    }

    /// <summary>A frame reference given back when the test is done with it.</summary>
    private readonly struct Released(SharedFrame? frame) : IDisposable
    {
        public SharedFrame? Frame { get; } = frame;

        public void Dispose() => Frame?.Release();
    }
}

/// <summary>A sink that notes what it was sent, read when it was sent (the frame is pooled and reused later).</summary>
internal sealed class RecordingSink : IFrameSink
{
    private readonly Lock _gate = new();
    private readonly List<SentFrame> _frames = [];

    public IReadOnlyList<SentFrame> Frames
    {
        get
        {
            lock (_gate)
            {
                return [.. _frames];
            }
        }
    }

    public IReadOnlyList<ulong> Sequences => [.. Frames.Select(f => f.Sequence)];

    /// <summary>How many times the source said the stream ended.</summary>
    public int Ends => Volatile.Read(ref _ends);

    private int _ends;

    public void Ended() => Interlocked.Increment(ref _ends);

    public void Send(SharedFrame frame)
    {
        Assert.True(JpegParser.TryParse(frame.Jpeg.Span, out var info));
        lock (_gate)
        {
            _frames.Add(new SentFrame(frame, frame.Sequence, frame.Pts90Khz, frame.Jpeg.Length, info.Width, info.Height, frame.Packets.PacketCount));
        }
    }
}

internal sealed record SentFrame(SharedFrame Frame, ulong Sequence, ulong Pts, int Size, int Width, int Height, int Packets);
