using Grpc.Core;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Testing;

namespace GrpcStream.Origin.Tests.Grpc;

/// <summary>
/// ReadFrames over real gRPC: a file stream's frames by index, unpaced, bounded by count and bytes, the same run
/// from any origin of the same media; described with its mode and duration.
/// </summary>
public class ReadFramesTests
{
    private static async Task<List<Frame>> ReadAsync(OriginTestHost origin, ulong first, uint maxFrames = 0, ulong maxBytes = 0, string name = "film.mjpeg")
    {
        using var call = origin.Client.ReadFrames(new ReadFramesRequest { Name = name, FirstIndex = first, MaxFrames = maxFrames, MaxBytes = maxBytes });
        List<Frame> frames = [];
        await foreach (var frame in call.ResponseStream.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            frames.Add(frame);
        }

        return frames;
    }

    [Fact]
    public async Task Frames_come_by_index_with_their_media_time_bounded_by_count_and_bytes_and_nothing_past_the_end()
    {
        using var media = new TempMediaRoot();
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(10));
        media.Write("film.mjpeg", TestJpegs.LengthPrefixed(frames));
        await using var origin = await OriginTestHost.StartAsync(media.Path, null, "Origin:Mode=on-demand", "Origin:Streams:film.mjpeg:FrameRate=10");

        var description = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "film.mjpeg" });
        Assert.Equal((StreamMode.OnDemand, 10u, 1.0, false), (description.Mode, description.FrameCount, description.DurationSeconds, description.Loop));

        var run = await ReadAsync(origin, first: 3, maxFrames: 4);
        Assert.Equal([3UL, 4, 5, 6], run.Select(f => f.Sequence));
        Assert.Equal([27_000UL, 36_000, 45_000, 54_000], run.Select(f => f.Pts90Khz)); // 10 fps on the 90 kHz clock
        Assert.All(run, f => Assert.Equal(frames[(int)f.Sequence], f.Jpeg.ToByteArray()));

        // Bytes bound the run, but one frame always comes, whatever its size.
        var twoFrames = (ulong)(frames[0].Length + frames[1].Length);
        Assert.Equal(2, (await ReadAsync(origin, first: 0, maxBytes: twoFrames)).Count);
        Assert.Single(await ReadAsync(origin, first: 0, maxBytes: 1));

        // Unbounded by the request: the rest of the film, and nothing past its end.
        Assert.Equal([7UL, 8, 9], (await ReadAsync(origin, first: 7)).Select(f => f.Sequence));
        Assert.Empty(await ReadAsync(origin, first: 10));
        Assert.Empty(await ReadAsync(origin, first: ulong.MaxValue));
    }

    [Fact]
    public async Task The_origins_cap_holds_whatever_the_edge_asks_and_two_origins_of_the_same_media_serve_the_same_run()
    {
        using var media = new TempMediaRoot();
        media.Write("film.mjpeg", TestJpegs.LengthPrefixed(TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(6))));
        await using var first = await OriginTestHost.StartAsync(media.Path, null, "Origin:OnDemand:MaxFramesPerRead=4");
        await using var second = await OriginTestHost.StartAsync(media.Path, null, "Origin:OnDemand:MaxFramesPerRead=4");

        var fromFirst = await ReadAsync(first, first: 1, maxFrames: 100);
        var fromSecond = await ReadAsync(second, first: 1);

        Assert.Equal([1UL, 2, 3, 4], fromFirst.Select(f => f.Sequence));
        Assert.Equal(fromFirst, fromSecond);
    }

    [Fact]
    public async Task Unknown_streams_are_not_found_and_a_live_file_stream_is_still_readable_by_index()
    {
        await using var origin = await OriginTestHost.StartAsync();

        var missing = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(origin, 0, name: "nothing.mjpeg"));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        var bad = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(origin, 0, name: "../etc/passwd"));
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);

        // The sample is a file stream too: live by default, still readable by index.
        var sample = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "movie.Mjpeg" });
        Assert.Equal(StreamMode.Live, sample.Mode);
        Assert.Equal(2, (await ReadAsync(origin, 0, maxFrames: 2, name: "movie.Mjpeg")).Count);
    }
}
