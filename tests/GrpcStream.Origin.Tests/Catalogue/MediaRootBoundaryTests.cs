using System.Diagnostics;
using Grpc.Core;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Testing;

namespace GrpcStream.Origin.Tests.Catalogue;

/// <summary>The media root is the boundary of what the origin reads: nothing in it can hang, crash or escape it.</summary>
public class MediaRootBoundaryTests
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_fifo_is_skipped_without_being_opened()
    {
        using var media = new TempMediaRoot();
        var frames = await TestJpegs.FfmpegFramesAsync(2);
        media.Write("good.mjpeg", frames);
        await MakeFifoAsync(Path.Combine(media.Path, "pipe.mjpeg"));
        var images = Directory.CreateDirectory(Path.Combine(media.Path, "stills")).FullName;
        File.WriteAllBytes(Path.Combine(images, "a.jpg"), TestJpegs.SplitSimple(frames)[0]);
        await MakeFifoAsync(Path.Combine(images, "b.jpg"));

        // Opening a FIFO for reading blocks until a writer comes: the origin would never finish starting.
        await using var origin = await OriginTestHost.StartAsync(media.Path).WaitAsync(StartLimit, TestContext.Current.CancellationToken);

        Assert.Equal(["good.mjpeg", "movie.Mjpeg", "stills"], await ListAsync(origin));
        var stills = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "stills" });
        Assert.Equal((1u, 1u), (stills.FrameCount, stills.SkippedFrames));
        Assert.Contains(origin.Log.Lines, l => l.Contains("pipe.mjpeg is not a stream: a FIFO", StringComparison.Ordinal));

        // The skipped frame's warning is logged when the directory's indexing ends, which may be just after its count is published.
        await Eventually.HoldsAsync(() => origin.Log.Lines.Any(l => l.Contains("b.jpg: a FIFO", StringComparison.Ordinal)), "the FIFO frame's warning");
    }

    [Fact]
    public async Task A_symlink_out_of_the_root_is_refused_unless_allowed()
    {
        using var media = new TempMediaRoot();
        using var outside = new TempMediaRoot();
        var frames = await TestJpegs.FfmpegFramesAsync(2);
        var secret = outside.Write("secret.mjpeg", frames);
        var inside = media.Write("real.mjpeg", frames);
        File.CreateSymbolicLink(Path.Combine(media.Path, "leak.mjpeg"), secret);
        File.CreateSymbolicLink(Path.Combine(media.Path, "alias.mjpeg"), inside);
        Directory.CreateSymbolicLink(Path.Combine(media.Path, "etc"), outside.Path);

        await using (var origin = await OriginTestHost.StartAsync(media.Path).WaitAsync(StartLimit, TestContext.Current.CancellationToken))
        {
            // A link within the root is fine; the file and the directory outside it are not served.
            Assert.Equal(["alias.mjpeg", "movie.Mjpeg", "real.mjpeg"], await ListAsync(origin));
            var refused = await Assert.ThrowsAsync<RpcException>(() => origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "leak.mjpeg" }).ResponseAsync);
            Assert.Equal(StatusCode.NotFound, refused.StatusCode);
            Assert.Contains(origin.Log.Lines, l => l.Contains($"leak.mjpeg is not a stream: a symbolic link to {secret}, outside the media root", StringComparison.Ordinal));
            Assert.Contains(origin.Log.Lines, l => l.Contains("etc is not a stream: a symbolic link", StringComparison.Ordinal));
        }

        await using (var origin = await OriginTestHost.StartAsync(media.Path, null, "Origin:FollowSymlinks=true").WaitAsync(StartLimit, TestContext.Current.CancellationToken))
        {
            Assert.Equal(["alias.mjpeg", "leak.mjpeg", "movie.Mjpeg", "real.mjpeg"], await ListAsync(origin));
        }
    }

    [Fact]
    public async Task A_device_is_never_read_even_through_an_allowed_link()
    {
        using var media = new TempMediaRoot();
        File.CreateSymbolicLink(Path.Combine(media.Path, "zero.mjpeg"), "/dev/zero");

        // /dev/zero has no size: read, it would fill memory up to any limit.
        await using var origin = await OriginTestHost.StartAsync(media.Path, null, "Origin:FollowSymlinks=true").WaitAsync(StartLimit, TestContext.Current.CancellationToken);

        Assert.Equal(["movie.Mjpeg"], await ListAsync(origin));
        Assert.Contains(origin.Log.Lines, l => l.Contains("zero.mjpeg is not a stream: a device", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_image_directory_over_the_stream_limit_is_refused()
    {
        using var media = new TempMediaRoot();
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(3));
        var images = Directory.CreateDirectory(Path.Combine(media.Path, "big")).FullName;
        foreach (var (i, frame) in frames.Index())
        {
            File.WriteAllBytes(Path.Combine(images, $"{i}.jpg"), frame);
        }

        var limit = frames[0].Length + frames[1].Length;
        await using var origin = await OriginTestHost.StartAsync(media.Path, null, $"Origin:MaxStreamBytes={limit}");

        Assert.Equal(["movie.Mjpeg"], await ListAsync(origin));
        Assert.Contains(origin.Log.Lines, l => l.Contains("big is not a stream", StringComparison.Ordinal) && l.Contains($"over the Origin:MaxStreamBytes limit of {limit}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Frames_over_the_size_limit_are_skipped_and_a_stream_of_nothing_else_is_not_listed()
    {
        using var media = new TempMediaRoot();
        var small = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(2, 64, 48));
        var large = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(2, 640, 480));
        media.Write("mixed.mjpeg", [.. small[0], .. large[0], .. small[1]]);
        media.Write("large.mjpeg", [.. large[0], .. large[1]]);
        var limit = small.Max(f => f.Length) + 1;
        Assert.True(large.Min(f => f.Length) > limit);

        await using var origin = await OriginTestHost.StartAsync(media.Path, null, $"Origin:MaxFrameBytes={Math.Max(limit, 1024)}");

        var mixed = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "mixed.mjpeg" });
        Assert.Equal((2u, 1u), (mixed.FrameCount, mixed.SkippedFrames));
        // The built-in sample's frames are over this limit too: it is left out, and the scan goes on.
        Assert.Equal(["mixed.mjpeg"], await ListAsync(origin));
        Assert.Contains(origin.Log.Lines, l => l.Contains("large.mjpeg is not a stream: no valid frame", StringComparison.Ordinal) && l.Contains("over the Origin:MaxFrameBytes limit", StringComparison.Ordinal));
    }

    internal static async Task<List<string>> ListAsync(OriginTestHost origin) =>
        [.. (await origin.Client.ListStreamsAsync(new ListStreamsRequest())).Streams.Select(s => s.Name).Order(StringComparer.Ordinal)];

    private static async Task MakeFifoAsync(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
