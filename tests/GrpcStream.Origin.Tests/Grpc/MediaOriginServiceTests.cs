using Grpc.Core;
using GrpcStream.Origin.Tests.Live;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Testing;

namespace GrpcStream.Origin.Tests.Grpc;

public class MediaOriginServiceTests
{
    [Fact]
    public async Task Lists_every_usable_file_and_directory_of_the_media_root()
    {
        using var media = new TempMediaRoot();
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(4));
        media.Write("movie.Mjpeg", TestJpegs.LengthPrefixed(frames));
        media.Write("clip.mjpeg", await TestJpegs.FfmpegFramesAsync(3));
        Directory.CreateDirectory(Path.Combine(media.Path, "shots"));
        media.Write("shots/0001.jpg", frames[0]);
        media.Write("shots/0002.jpg", frames[1]);
        media.Write("notes.txt", "not a stream"u8.ToArray());
        await using var origin = await OriginTestHost.StartAsync(media.Path, null, "Origin:Sample:Enabled=false");

        var list = await origin.Client.ListStreamsAsync(new ListStreamsRequest());

        Assert.Equal(["clip.mjpeg", "movie.Mjpeg", "shots"], list.Streams.Select(s => s.Name));
        var movie = list.Streams.Single(s => s.Name == "movie.Mjpeg");
        Assert.Equal(SourceFormat.LengthPrefixed, movie.SourceFormat);
        Assert.Equal(4u, movie.FrameCount);
        Assert.Equal((320u, 240u), (movie.Width, movie.Height));
        Assert.Equal(25, movie.FrameRate);
        Assert.True(movie.RtpCarriable);
        Assert.Null(movie.Conversion);
        Assert.Equal(SourceFormat.ConcatenatedJpeg, list.Streams.Single(s => s.Name == "clip.mjpeg").SourceFormat);
        Assert.Equal(SourceFormat.JpegDirectory, list.Streams.Single(s => s.Name == "shots").SourceFormat);
        Assert.Contains(origin.Log.Lines, l => l.Contains("notes.txt is not a stream", StringComparison.Ordinal) && l.Contains("not a supported format", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Served_frames_are_the_source_bytes_when_they_are_carriable()
    {
        using var media = new TempMediaRoot();
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(3));
        media.Write("movie.Mjpeg", TestJpegs.LengthPrefixed(frames));
        await using var origin = await OriginTestHost.StartAsync(media.Path);

        using var call = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });
        var frame = await LiveClockTests.NextAsync(call.ResponseStream);

        Assert.Equal(frames[(int)frame.SourceIndex], frame.Jpeg.ToByteArray());
    }

    [Fact]
    public async Task Describe_says_what_was_converted_and_why()
    {
        using var media = new TempMediaRoot();
        var baseline = await TestJpegs.CjpegAsync(TestJpegs.Ppm(64, 48));
        media.Write("progressive.mjpeg", await TestJpegs.JpegtranAsync(baseline, "-progressive"));
        media.Write("full-chroma.mjpeg", await TestJpegs.CjpegAsync(TestJpegs.Ppm(64, 48), "-sample", "1x1"));
        await using var origin = await OriginTestHost.StartAsync(media.Path);

        var progressive = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "progressive.mjpeg" });
        var fullChroma = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "full-chroma.mjpeg" });

        Assert.Equal(JpegProcess.Progressive, progressive.SourceJpeg.Process);
        Assert.Equal(JpegProcess.Baseline, progressive.ServedJpeg.Process);
        Assert.True(progressive.ServedJpeg.StandardHuffmanTables);
        Assert.True(progressive.RtpCarriable);
        Assert.Equal(1u, progressive.Conversion.ConvertedFrames);
        Assert.True(progressive.Conversion.Lossless);
        Assert.Contains("progressive", progressive.Conversion.Reason, StringComparison.Ordinal);

        Assert.Equal(ChromaSubsampling._444, fullChroma.SourceJpeg.Chroma);
        Assert.Equal(ChromaSubsampling._420, fullChroma.ServedJpeg.Chroma);
        Assert.Equal("2x2,1x1,1x1", fullChroma.ServedJpeg.Sampling);
        Assert.False(fullChroma.Conversion.Lossless);
        Assert.True(fullChroma.RtpCarriable);
    }

    [Fact]
    public async Task Corrupt_frames_are_counted_and_a_file_without_valid_frames_is_not_a_stream()
    {
        using var media = new TempMediaRoot();
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(3));
        // The first frame is damaged too: the file is still recognised by its chain of length fields.
        media.Write("damaged.Mjpeg", TestJpegs.LengthPrefixed(["garbage!"u8.ToArray(), frames[0], frames[1]]));
        media.Write("hopeless.Mjpeg", TestJpegs.LengthPrefixed([frames[0][..200], frames[1][..300]]));
        await using var origin = await OriginTestHost.StartAsync(media.Path);

        var damaged = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "damaged.Mjpeg" });
        var error = await Assert.ThrowsAsync<RpcException>(() => origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "hopeless.Mjpeg" }).ResponseAsync);

        Assert.Equal(2u, damaged.FrameCount);
        Assert.Equal(1u, damaged.SkippedFrames);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        // The skipped frame is logged when indexing ends, which may be just after the count above is published.
        await Eventually.HoldsAsync(() => origin.Log.Lines.Any(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("damaged.Mjpeg: 1 frames skipped", StringComparison.Ordinal)), "the skipped frame is logged");
        Assert.Contains(origin.Log.Lines, l => l.Contains("hopeless.Mjpeg is not a stream: no valid frame", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_stream_is_not_found_with_its_name()
    {
        await using var origin = await OriginTestHost.StartAsync();

        var describe = await Assert.ThrowsAsync<RpcException>(() => origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "nothing.mjpeg" }).ResponseAsync);
        using var watch = origin.Client.WatchFrames(new WatchFramesRequest { Name = "nothing.mjpeg" });
        var watchError = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.NotFound, describe.StatusCode);
        Assert.Contains("'nothing.mjpeg'", describe.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, watchError.StatusCode);
    }

    [Theory]
    [InlineData("../secret.mjpeg")]
    [InlineData("..")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/../../secret.mjpeg")]
    [InlineData("..\\secret.mjpeg")]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData("bad\nname")]
    public async Task Names_that_could_leave_the_media_root_are_refused(string name)
    {
        using var outside = new TempMediaRoot();
        outside.Write("secret.mjpeg", await TestJpegs.FfmpegFramesAsync(1));
        var root = Directory.CreateDirectory(Path.Combine(outside.Path, "media")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "sub"));
        await using var origin = await OriginTestHost.StartAsync(root);

        var describe = await Assert.ThrowsAsync<RpcException>(() => origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = name }).ResponseAsync);
        using var watch = origin.Client.WatchFrames(new WatchFramesRequest { Name = name });
        var watchError = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.InvalidArgument, describe.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, watchError.StatusCode);
    }

    [Fact]
    public async Task A_path_like_name_is_a_published_stream_and_never_a_file_below_the_media_root()
    {
        using var media = new TempMediaRoot();
        Directory.CreateDirectory(Path.Combine(media.Path, "live"));
        media.Write("live/cam1", await TestJpegs.FfmpegFramesAsync(2));
        await using var origin = await OriginTestHost.StartAsync(media.Path);

        var describe = await Assert.ThrowsAsync<RpcException>(() => origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "live/cam1" }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, describe.StatusCode);
        Assert.DoesNotContain((await origin.Client.ListStreamsAsync(new ListStreamsRequest())).Streams, s => s.Name.Contains("cam1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_file_added_later_is_served_without_a_restart()
    {
        using var media = new TempMediaRoot();
        await using var origin = await OriginTestHost.StartAsync(media.Path);
        Assert.DoesNotContain((await origin.Client.ListStreamsAsync(new ListStreamsRequest())).Streams, s => s.Name == "late.mjpeg");

        media.Write("late.mjpeg", await TestJpegs.FfmpegFramesAsync(2));
        var described = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "late.mjpeg" });

        Assert.Equal(2u, described.FrameCount);
        Assert.Contains((await origin.Client.ListStreamsAsync(new ListStreamsRequest())).Streams, s => s.Name == "late.mjpeg");
    }

    [Fact]
    public async Task Watchers_of_a_removed_file_are_told_it_is_gone()
    {
        using var media = new TempMediaRoot();
        var path = media.Write("brief.mjpeg", await TestJpegs.FfmpegFramesAsync(2));
        await using var origin = await OriginTestHost.StartAsync(media.Path, null, "Origin:RescanInterval=00:00:00.200");
        using var call = origin.Client.WatchFrames(new WatchFramesRequest { Name = "brief.mjpeg" });
        await LiveClockTests.NextAsync(call.ResponseStream);

        File.Delete(path);
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken))
            {
            }
        });

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("removed", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_media_root_file_named_like_the_sample_replaces_it()
    {
        using var media = new TempMediaRoot();
        media.Write("movie.Mjpeg", TestJpegs.LengthPrefixed(TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(7))));
        await using var origin = await OriginTestHost.StartAsync(media.Path);

        var movie = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "movie.Mjpeg" });

        Assert.Equal(SourceFormat.LengthPrefixed, movie.SourceFormat);
        Assert.Equal(7u, movie.FrameCount);
    }

    [Theory]
    [InlineData("Origin:MaxSubscribersPerStream=1", "Origin:MaxSubscribers=10", "Origin:MaxSubscribersPerStream")]
    [InlineData("Origin:MaxSubscribersPerStream=10", "Origin:MaxSubscribers=1", "Origin:MaxSubscribers")]
    public async Task Subscribers_past_a_cap_are_told_to_come_back_later_and_the_others_play_on(string perStream, string total, string named)
    {
        await using var origin = await OriginTestHost.StartAsync(null, null, perStream, total, "Origin:Sample:FrameCount=5");
        using var first = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });
        await LiveClockTests.NextAsync(first.ResponseStream);

        // A second watcher: over the cap.
        using (var second = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" }))
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => second.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
            Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
            Assert.Contains($"({named})", refused.Status.Detail, StringComparison.Ordinal);
        }

        // The first plays on; once it leaves, its place is free again.
        await LiveClockTests.NextAsync(first.ResponseStream);
        first.Dispose();
        await Eventually.HoldsAsync(
            async () =>
            {
                using var again = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });
                try
                {
                    return await again.ResponseStream.MoveNext(TestContext.Current.CancellationToken);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
                {
                    return false;
                }
            },
            "a new watcher once the first has left");
    }

    [Fact]
    public async Task A_jpeg_declaring_a_huge_picture_is_skipped_before_decoding_and_the_others_are_served()
    {
        using var media = new TempMediaRoot();
        // 64x48 at 4:4:4 (so it would have to be decoded and encoded again), its header rewritten to 16384x16384:
        // a few hundred bytes asking for about 800 MB of pixels.
        var bomb = await TestJpegs.CjpegAsync(TestJpegs.Ppm(64, 48), "-sample", "1x1");
        var sof = bomb.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        Assert.True(sof > 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bomb.AsSpan(sof + 5), 16384);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bomb.AsSpan(sof + 7), 16384);
        media.Write("bomb.mjpeg", bomb);
        media.Write("good.mjpeg", await TestJpegs.FfmpegFramesAsync(2));
        var before = GC.GetTotalAllocatedBytes();
        await using var origin = await OriginTestHost.StartAsync(media.Path, null, "Origin:Sample:Enabled=false");

        var list = await origin.Client.ListStreamsAsync(new ListStreamsRequest());

        Assert.Equal(["good.mjpeg"], list.Streams.Select(s => s.Name));
        Assert.Contains(origin.Log.Lines, l => l.Contains("bomb.mjpeg is not a stream", StringComparison.Ordinal) && l.Contains("16384x16384 is over the Origin:MaxFramePixels limit", StringComparison.Ordinal));
        Assert.True(GC.GetTotalAllocatedBytes() - before < 400_000_000, "the bomb's pixels were allocated");
        using var call = origin.Client.WatchFrames(new WatchFramesRequest { Name = "good.mjpeg" });
        await LiveClockTests.NextAsync(call.ResponseStream);
    }
}
