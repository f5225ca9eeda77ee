using GrpcStream.Origin.Catalogue;
using GrpcStream.Origin.Live;
using GrpcStream.Origin.Tests.Live;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Origin.Tests.Catalogue;

/// <summary>Large sources served while they are indexed, and sources that change under the frames being played.</summary>
/// <remarks>
/// Alone: a test asserts an exact metric, and OpenTelemetry sees the origin's meter process-wide, so another
/// test's host starting or stopping meanwhile could change what this one's /metrics shows.
/// </remarks>
[Collection(nameof(ExactOriginMetrics))]
public class BackgroundIndexingTests
{
    [Fact]
    public async Task A_source_spanning_many_windows_is_served_at_once_and_counted_once_indexed()
    {
        using var media = new TempMediaRoot();
        var loop = await TestJpegs.FfmpegFramesAsync(60, 640, 480);
        var frames = TestJpegs.SplitSimple(loop);
        media.Write("long.mjpeg", [.. loop, .. loop, .. loop, .. loop]);
        await using (var origin = await OriginTestHost.StartAsync(media.Path))
        {
            using var watch = origin.Client.WatchFrames(new WatchFramesRequest { Name = "long.mjpeg" });
            for (var i = 0; i < 5; i++)
            {
                var frame = await LiveClockTests.NextAsync(watch.ResponseStream);
                Assert.Equal(frames[(int)frame.SourceIndex % frames.Count], frame.Jpeg.ToByteArray());
            }

            var described = await IndexedAsync(origin, "long.mjpeg");
            Assert.Equal((240u, 240u), (described.FrameCount, described.FramesIndexed));
        }

        await using (var capped = await OriginTestHost.StartAsync(media.Path, null, "Origin:MaxFramesPerStream=100"))
        {
            var described = await IndexedAsync(capped, "long.mjpeg");
            Assert.Equal(100u, described.FrameCount);
            await Eventually.HoldsAsync(
                () => capped.Log.Lines.Any(l => l.Contains("long.mjpeg: indexing stopped after 100 frames", StringComparison.Ordinal) && l.Contains("Origin:MaxFramesPerStream", StringComparison.Ordinal)),
                "the limit logged");
        }
    }

    [Fact]
    public async Task A_source_cut_short_while_it_plays_loses_ticks_not_the_subscription_and_plays_again_once_rescanned()
    {
        using var media = new TempMediaRoot();
        var clip = await TestJpegs.FfmpegFramesAsync(10, 160, 120);
        var frames = TestJpegs.SplitSimple(clip);
        var path = media.Write("cut.mjpeg", clip);
        var time = new FakeTimeProvider(LiveClockTests.Start);
        await using var origin = await OriginTestHost.StartAsync(media.Path, time, "Origin:FrameCacheBytes=0", "Origin:RescanInterval=01:00:00", "Origin:Sample:Enabled=false");
        var catalogue = origin.App.Services.GetRequiredService<StreamCatalogue>();
        var ct = TestContext.Current.CancellationToken;

        using var watch = origin.Client.WatchFrames(new WatchFramesRequest { Name = "cut.mjpeg" });
        var frame = await LiveClockTests.NextAsync(watch.ResponseStream);
        Assert.Equal(frames[(int)frame.SourceIndex], frame.Jpeg.ToByteArray());

        // Cut in place to its first three frames: the frames indexed past the cut can no longer be read.
        using (var file = new FileStream(path, FileMode.Open))
        {
            file.SetLength(frames.Take(3).Sum(f => f.Length));
        }

        // One tick at a time, each waited for, so that the clock never jumps: those whose frame is past the cut
        // are ticks without a frame; the others deliver their frame.
        var channel = origin.App.Services.GetRequiredService<LiveChannelHub>().ChannelOf("cut.mjpeg")!;
        var next = watch.ResponseStream.MoveNext(ct);
        for (var tick = 1; tick <= 10; tick++)
        {
            time.Advance(LiveClockTests.Period);
            await Eventually.HoldsAsync(() => channel.Ticks == 1 + tick, $"tick {tick}");
        }

        Assert.Equal(7, channel.UnreadableTicks);
        for (var delivered = 0; delivered < 3; delivered++)
        {
            Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(30), ct));
            frame = watch.ResponseStream.Current;
            Assert.InRange(frame.SourceIndex, 0u, 2u);
            Assert.Equal(frames[(int)frame.SourceIndex], frame.Jpeg.ToByteArray());
            next = watch.ResponseStream.MoveNext(ct);
        }

        // The rescan finds the new version: it plays, on the same subscription, its three frames.
        await catalogue.RefreshAsync(ct);
        var described = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "cut.mjpeg" }, cancellationToken: ct);
        Assert.Equal(3u, described.FrameCount);
        for (var tick = 0; tick < 6; tick++)
        {
            time.Advance(LiveClockTests.Period);
            Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(30), ct));
            frame = watch.ResponseStream.Current;
            Assert.Equal(frames[(int)frame.SourceIndex], frame.Jpeg.ToByteArray());
            next = watch.ResponseStream.MoveNext(ct);
        }

        Assert.Equal(7, channel.UnreadableTicks);
        Assert.Equal(7, await UnreadableAsync(origin));
    }

    private static async Task<StreamDescription> IndexedAsync(OriginTestHost origin, string name)
    {
        StreamDescription? described = null;
        await Eventually.HoldsAsync(
            async () => (described = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = name })).FrameCount > 0,
            $"{name} indexed");
        return described!;
    }

    private static async Task<double> UnreadableAsync(OriginTestHost origin)
    {
        using var http = new HttpClient { DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var metrics = PrometheusText.Parse(await http.GetStringAsync(new Uri(origin.Address + "/metrics"), TestContext.Current.CancellationToken));
        // By stream: the meter is seen process-wide, and other tests' hosts come and go with their own series.
        return metrics.Sum("grpcstream_origin_frames_unreadable_total", ("stream", "cut.mjpeg"));
    }
}

[CollectionDefinition(nameof(ExactOriginMetrics), DisableParallelization = true)]
public sealed class ExactOriginMetrics;
