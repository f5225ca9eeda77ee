using Grpc.Core;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Testing;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Origin.Tests.Live;

/// <summary>The live channel's clock, driven by a fake clock, observed through real gRPC calls.</summary>
public class LiveClockTests
{
    internal static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    internal static readonly TimeSpan Period = TimeSpan.FromMilliseconds(40); // 25 fps

    // Sequence numbers count periods since the Unix epoch.
    private static readonly ulong StartSequence = (ulong)(Start.ToUnixTimeMilliseconds() / 40);

    [Fact]
    public async Task Two_subscribers_see_the_same_frames_at_the_same_moment()
    {
        var time = new FakeTimeProvider(Start);
        await using var origin = await OriginTestHost.StartAsync(time: time);
        using var a = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });
        using var b = origin.NewClient().WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });

        var firstA = await NextAsync(a.ResponseStream);
        var firstB = await NextAsync(b.ResponseStream);
        Assert.Equal(StartSequence, firstA.Sequence);
        Assert.Equal(firstA.Sequence, firstB.Sequence);

        for (var i = 1; i <= 30; i++)
        {
            time.Advance(Period);
            var frameA = await NextAsync(a.ResponseStream);
            var frameB = await NextAsync(b.ResponseStream);
            Assert.Equal(StartSequence + (ulong)i, frameA.Sequence);
            Assert.Equal(frameA.Sequence, frameB.Sequence);
            Assert.Equal(frameA.Pts90Khz, frameB.Pts90Khz);
            Assert.Equal(frameA.Sequence * 3600, frameA.Pts90Khz);
            Assert.Equal(frameA.Jpeg, frameB.Jpeg);
        }
    }

    [Fact]
    public async Task Sequence_numbers_keep_increasing_across_loops_of_the_source()
    {
        var time = new FakeTimeProvider(Start);
        await using var origin = await OriginTestHost.StartAsync(null, time, "Origin:Sample:FrameCount=5");
        using var call = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });

        var previous = await NextAsync(call.ResponseStream);
        var indices = new List<uint> { previous.SourceIndex };
        for (var i = 0; i < 12; i++)
        {
            time.Advance(Period);
            var frame = await NextAsync(call.ResponseStream);
            Assert.Equal(previous.Sequence + 1, frame.Sequence);
            Assert.Equal((uint)(frame.Sequence % 5), frame.SourceIndex);
            indices.Add(frame.SourceIndex);
            previous = frame;
        }

        Assert.Equal([0u, 1, 2, 3, 4], indices.Distinct().Order().ToArray());
    }

    [Fact]
    public async Task A_subscriber_that_joins_gets_the_current_frame_at_once()
    {
        var time = new FakeTimeProvider(Start);
        await using var origin = await OriginTestHost.StartAsync(time: time);
        using var first = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });
        var latest = await NextAsync(first.ResponseStream);
        for (var i = 0; i < 7; i++)
        {
            time.Advance(Period);
            latest = await NextAsync(first.ResponseStream);
        }

        // No time passes: the joiner must not wait for the next tick.
        using var joiner = origin.NewClient().WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });
        var joined = await NextAsync(joiner.ResponseStream);

        Assert.Equal(latest.Sequence, joined.Sequence);
        Assert.Equal(latest.Jpeg, joined.Jpeg);
    }

    [Fact]
    public async Task A_slow_subscriber_loses_frames_without_delaying_a_fast_one()
    {
        using var media = new TempMediaRoot();
        // Large frames fill the slow reader's HTTP/2 window and queue quickly.
        media.Write("big.mjpeg", await TestJpegs.FfmpegFramesAsync(10, 640, 480));
        var time = new FakeTimeProvider(Start);
        await using var origin = await OriginTestHost.StartAsync(media.Path, time, "Origin:SubscriberBufferFrames=4");

        using var fast = origin.Client.WatchFrames(new WatchFramesRequest { Name = "big.mjpeg" });
        using var slow = origin.NewClient().WatchFrames(new WatchFramesRequest { Name = "big.mjpeg" });
        var first = await NextAsync(fast.ResponseStream);
        Assert.Equal(first.Sequence, (await NextAsync(slow.ResponseStream)).Sequence);
        const int ticks = 150;
        for (var i = 1; i <= ticks; i++)
        {
            time.Advance(Period);
            var frame = await NextAsync(fast.ResponseStream);
            Assert.Equal(first.Sequence + (ulong)i, frame.Sequence);
        }

        // Now the slow one reads what reached it: a gap where its queue overflowed, and the newest frames at the end.
        var received = new List<ulong>();
        using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            while (await slow.ResponseStream.MoveNext(quiet.Token))
            {
                received.Add(slow.ResponseStream.Current.Sequence);
            }
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
        {
            // Nothing more was coming: the reader waited for the next tick, which the fake clock never gives.
        }

        Assert.True(received.Count < ticks, $"the slow reader got all {received.Count} frames; nothing was dropped");
        Assert.Equal(first.Sequence + ticks, received[^1]);
        Assert.Equal(received.Order(), received);

        // And the origin counted what it dropped.
        using var http = new HttpClient { DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var metrics = await http.GetStringAsync(new Uri(origin.Address + "/metrics"), TestContext.Current.CancellationToken);
        var parsed = PrometheusText.Parse(metrics);
        Assert.Equal("counter", parsed.Types["grpcstream_origin_frames_dropped_total"]);
        Assert.True(parsed.Sum("grpcstream_origin_frames_dropped_total", ("stream", "big.mjpeg")) > 0);
    }

    [Fact]
    public async Task Resuming_after_the_live_sequence_repeats_nothing()
    {
        var time = new FakeTimeProvider(Start);
        await using var origin = await OriginTestHost.StartAsync(time: time);
        using var watcher = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });
        var seen = await NextAsync(watcher.ResponseStream);

        using var resumed = origin.NewClient().WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg", ResumeAfterSequence = seen.Sequence });
        time.Advance(Period);
        var next = await NextAsync(resumed.ResponseStream);

        Assert.Equal(seen.Sequence + 1, next.Sequence);
    }

    [Fact]
    public async Task Resuming_after_an_older_sequence_starts_at_the_live_frame()
    {
        var time = new FakeTimeProvider(Start);
        await using var origin = await OriginTestHost.StartAsync(time: time);

        using var resumed = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg", ResumeAfterSequence = StartSequence - 50 });
        var first = await NextAsync(resumed.ResponseStream);

        Assert.Equal(StartSequence, first.Sequence);
    }

    [Fact]
    public async Task A_resume_position_far_ahead_of_the_clock_is_ignored()
    {
        var time = new FakeTimeProvider(Start);
        await using var origin = await OriginTestHost.StartAsync(time: time);

        using var resumed = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg", ResumeAfterSequence = StartSequence + 1_000_000 });
        var first = await NextAsync(resumed.ResponseStream);

        Assert.Equal(StartSequence, first.Sequence);
    }

    [Fact]
    public async Task A_restarted_origin_continues_the_same_sequence_numbers()
    {
        var time = new FakeTimeProvider(Start);
        ulong before;
        await using (var origin = await OriginTestHost.StartAsync(time: time))
        {
            using var call = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });
            before = (await NextAsync(call.ResponseStream)).Sequence;
        }

        time.Advance(TimeSpan.FromSeconds(3));
        await using var restarted = await OriginTestHost.StartAsync(time: time);
        using var again = restarted.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg", ResumeAfterSequence = before });
        var after = await NextAsync(again.ResponseStream);

        Assert.Equal(before + 75, after.Sequence);
    }

    [Fact]
    public async Task A_per_stream_frame_rate_sets_the_clock()
    {
        var time = new FakeTimeProvider(Start);
        await using var origin = await OriginTestHost.StartAsync(null, time, "Origin:Streams:movie.Mjpeg:FrameRate=10");
        var description = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "movie.Mjpeg" });
        Assert.Equal(10, description.FrameRate);

        using var call = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });
        var first = await NextAsync(call.ResponseStream);
        time.Advance(TimeSpan.FromMilliseconds(100));
        var second = await NextAsync(call.ResponseStream);

        Assert.Equal(first.Sequence + 1, second.Sequence);
        Assert.Equal(9000ul, second.Pts90Khz - first.Pts90Khz);
    }

    internal static async Task<Frame> NextAsync(IAsyncStreamReader<Frame> reader)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        Assert.True(await reader.MoveNext(timeout.Token), "the frame stream ended");
        return reader.Current;
    }
}
