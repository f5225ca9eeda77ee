using GrpcStream.Rtsp.Media;
using GrpcStream.Testing;

namespace GrpcStream.Rtsp.Tests.Media;

/// <summary>A publisher's reading of a file or folder: every frame in order, through a window smaller than the file.</summary>
public sealed class MediaSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("grpcstream-source-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<List<byte[]>> ReadAllAsync(MediaSource source)
    {
        var frames = new List<byte[]>();
        await foreach (var frame in source.ReadAsync(TestContext.Current.CancellationToken))
        {
            frames.Add(frame.ToArray());
        }

        return frames;
    }

    [Fact]
    public async Task A_file_larger_than_the_window_gives_every_frame_in_order_in_either_format()
    {
        var distinct = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(3));
        var frames = Enumerable.Range(0, 150).Select(i => distinct[i % 3]).ToList();
        var concatenated = Path.Combine(_dir, "clip.mjpeg");
        var prefixed = Path.Combine(_dir, "clip.lab");
        await File.WriteAllBytesAsync(concatenated, frames.SelectMany(f => f).ToArray(), TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(prefixed, TestJpegs.LengthPrefixed(frames), TestContext.Current.CancellationToken);
        Assert.True(new FileInfo(concatenated).Length > 1 << 20, "the file is larger than the first window");

        foreach (var (path, format) in new[] { (concatenated, SourceFormat.ConcatenatedJpeg), (prefixed, SourceFormat.LengthPrefixed) })
        {
            var source = MediaSource.Open(path);
            Assert.Equal(format, source.Format);
            Assert.Equal(frames, await ReadAllAsync(source));
            Assert.Equal(frames, await ReadAllAsync(source)); // a second pass, as --loop makes
            Assert.Equal(0, source.Skipped);
        }
    }

    [Fact]
    public async Task A_folder_plays_its_images_in_name_order_and_skips_and_counts_a_broken_one()
    {
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(2));
        await File.WriteAllBytesAsync(Path.Combine(_dir, "b.jpg"), frames[1], TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(_dir, "a.jpg"), frames[0], TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(_dir, "c.jpg"), frames[0][..100], TestContext.Current.CancellationToken);

        var source = MediaSource.Open(_dir);

        Assert.Equal(SourceFormat.JpegDirectory, source.Format);
        Assert.Equal(frames, await ReadAllAsync(source));
        Assert.Equal(1, source.Skipped);
        Assert.Contains("c.jpg", source.FirstProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void What_is_not_media_is_refused_with_the_reason()
    {
        var text = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(text, "not frames");
        Directory.CreateDirectory(Path.Combine(_dir, "empty"));

        Assert.Contains("is not a stream", Assert.Throws<InvalidDataException>(() => MediaSource.Open(text)).Message, StringComparison.Ordinal);
        Assert.Contains("has no .jpg or .jpeg files", Assert.Throws<InvalidDataException>(() => MediaSource.Open(Path.Combine(_dir, "empty"))).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => MediaSource.Open(Path.Combine(_dir, "absent")));
    }
}
