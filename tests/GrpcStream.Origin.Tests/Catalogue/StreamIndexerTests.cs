using GrpcStream.Origin.Catalogue;
using GrpcStream.Origin.Settings;
using GrpcStream.Origin.Native;
using GrpcStream.Origin.Storage;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Media;
using GrpcStream.Testing;

namespace GrpcStream.Origin.Tests.Catalogue;

/// <summary>Indexing a source through a bounded window, and the conversion cache on disk.</summary>
public sealed class StreamIndexerTests : IDisposable
{
    private readonly TempMediaRoot _media = new();
    private readonly string _cache = Directory.CreateTempSubdirectory("grpcstream-cache-").FullName;

    public void Dispose()
    {
        _media.Dispose();
        Directory.Delete(_cache, recursive: true);
    }

    [Theory]
    [InlineData(false, 4096)]
    [InlineData(false, 50_000)]
    [InlineData(true, 4096)]
    [InlineData(true, 150_000)]
    public async Task A_window_at_a_time_finds_exactly_what_a_split_of_the_whole_file_finds(bool lengthPrefixed, int window)
    {
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(40, 160, 120));
        var file = lengthPrefixed ? Damaged(TestJpegs.LengthPrefixed(frames)) : DamagedConcatenation(frames);
        var whole = lengthPrefixed ? LengthPrefixedReader.Split(file) : ConcatenatedJpegReader.Split(file);
        Assert.True(whole.Skipped > 0, "the damage is seen");

        var indexer = StreamIndexer.ForFile(Options(), Root(), _media.Write("damaged.mjpeg", file), CachePath(), out var whyNot, window);
        Assert.NotNull(indexer);
        while (indexer.Step())
        {
        }

        var index = indexer.Index;
        Assert.True(index.IsComplete);
        Assert.Null(index.StoppedEarly);
        Assert.Equal(whole.Frames.Select(f => (f.Offset, f.Jpeg.Length)), Enumerable.Range(0, index.Count).Select(i => (index[i].Offset, index[i].Length)));
        Assert.Equal(whole.Skipped, index.SkippedFrames);
        Assert.Equal(whole.FirstProblem, index.FirstProblem);
        for (var i = 0; i < index.Count; i++)
        {
            Assert.Equal(whole.Frames[i].Jpeg.ToArray(), indexer.Store.Read(index[i])!.ToByteArray());
        }
    }

    [Fact]
    public async Task A_large_source_is_listed_after_one_window_and_indexed_to_its_end_afterwards()
    {
        var loop = await TestJpegs.FfmpegFramesAsync(60, 640, 480);
        byte[] clip = [.. loop, .. loop, .. loop, .. loop];
        var frames = TestJpegs.SplitSimple(clip);
        Assert.True(clip.Length > 2 * StreamIndexer.InitialWindowBytes, $"the clip ({clip.Length} bytes) spans several windows");
        var path = _media.Write("long.mjpeg", clip);
        var loader = new StreamLoader(Options());

        var (stream, indexer) = loader.Open("long.mjpeg", path, FileKind.Regular, Root(), StreamLoader.Fingerprint(path, FileKind.Regular), out _)!.Value;

        Assert.InRange(stream.Index.Count, 1, frames.Count - 1);
        Assert.False(stream.Index.IsComplete);
        Assert.True(indexer.BytesRead <= StreamIndexer.InitialWindowBytes);
        while (indexer.Step())
        {
        }

        Assert.True(stream.Index.IsComplete);
        Assert.Equal(frames.Count, stream.Index.Count);
        Assert.Equal(frames.Sum(f => (long)f.Length), stream.Index.TotalBytes);
    }

    [Fact]
    public async Task Frames_are_converted_once_into_the_cache_and_found_there_by_the_next_indexer()
    {
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(6, 160, 120));
        var progressive = new List<byte[]>();
        foreach (var frame in frames)
        {
            progressive.Add(await TestJpegs.JpegtranAsync(frame, "-progressive"));
        }

        var path = _media.Write("progressive.mjpeg", [.. progressive.SelectMany(f => f)]);
        var first = IndexWhole(path);
        Assert.Equal((6, 6, 0), (first.Index.Count, first.Index.ConvertedFrames, first.Index.ConvertedFromCache));
        var cacheFile = Assert.Single(Directory.GetFiles(_cache));
        var written = new FileInfo(cacheFile).Length;

        var second = IndexWhole(path);
        Assert.Equal((6, 6), (second.Index.ConvertedFrames, second.Index.ConvertedFromCache));
        Assert.Equal(written, new FileInfo(cacheFile).Length);
        for (var i = 0; i < 6; i++)
        {
            var served = second.Store.Read(second.Index[i])!.ToByteArray();
            Assert.Equal(first.Store.Read(first.Index[i])!.ToByteArray(), served);
            Assert.True(JpegParser.TryParse(served, out var info));
            Assert.Equal(JpegProcess.Baseline, info.Process);
            Assert.Equal(await TestJpegs.DecodeAsync(frames[i]), await TestJpegs.DecodeAsync(served));
        }

        // A record cut short (the origin stopped while writing it) is dropped, and that frame converted again.
        using (var stream = new FileStream(cacheFile, FileMode.Open))
        {
            stream.SetLength(written - 10);
        }

        var third = IndexWhole(path);
        Assert.Equal((6, 5), (third.Index.ConvertedFrames, third.Index.ConvertedFromCache));
        Assert.Equal(written, new FileInfo(cacheFile).Length);
    }

    [Fact]
    public async Task A_conversion_cache_that_cannot_be_written_skips_the_frames_that_need_it_with_the_reason()
    {
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(2, 160, 120));
        var mixed = frames[0].Concat(await TestJpegs.JpegtranAsync(frames[1], "-progressive")).ToArray();
        var path = _media.Write("mixed.mjpeg", mixed);
        var blocked = Path.Combine(_cache, "not-a-directory");
        File.WriteAllBytes(blocked, []);

        var indexer = StreamIndexer.ForFile(Options(cacheDirectory: blocked), Root(), path, Path.Combine(blocked, "x.frames"), out _)!;
        while (indexer.Step())
        {
        }

        Assert.Equal((1, 1), (indexer.Index.Count, indexer.Index.SkippedFrames));
        Assert.Contains("conversion cache cannot be written", indexer.Index.FirstProblem, StringComparison.Ordinal);
    }

    private (FrameIndex Index, FrameStore Store) IndexWhole(string path)
    {
        var (stream, indexer) = new StreamLoader(Options()).Open(Path.GetFileName(path), path, FileKind.Regular, Root(), StreamLoader.Fingerprint(path, FileKind.Regular), out var whyNot)
            ?? throw new InvalidOperationException(whyNot);
        while (indexer.Step())
        {
        }

        indexer.Dispose();
        return (stream.Index, stream.Store);
    }

    private OriginOptions Options(string? cacheDirectory = null) => new() { CacheDirectory = cacheDirectory ?? _cache };

    private MediaRoot Root() => new(_media.Path, followSymlinks: false);

    private string CachePath() => Path.Combine(_cache, "test.frames");

    // Garbage between frames, a frame cut in half in the middle, and the last frame cut short.
    private static byte[] DamagedConcatenation(List<byte[]> frames)
    {
        var output = new List<byte>();
        foreach (var (i, frame) in frames.Index())
        {
            if (i % 7 == 3)
            {
                output.AddRange(new byte[1000 + i]);
                output.AddRange([0xFF, 0xD8, 0xFF, 0x00, 0x12]);
            }

            output.AddRange(i == 20 || i == frames.Count - 1 ? frame.AsSpan(0, frame.Length / 2).ToArray() : frame);
        }

        return [.. output];
    }

    // A frame whose JPEG is broken inside a correct length, and a last length that runs past the end.
    private static byte[] Damaged(byte[] lengthPrefixed)
    {
        var copy = lengthPrefixed.ToArray();
        copy[FormatDetector.LengthDigits + 2] = 0x00;
        return copy[..^100];
    }

    [Fact]
    public async Task Directory_frames_play_in_name_order_and_bad_files_are_skipped()
    {
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(3));
        var dir = Directory.CreateTempSubdirectory("grpcstream-dir-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "b.jpg"), frames[1]);
            File.WriteAllBytes(Path.Combine(dir, "a.JPG"), frames[0]);
            File.WriteAllBytes(Path.Combine(dir, "c.jpeg"), frames[2]);
            File.WriteAllText(Path.Combine(dir, "broken.jpg"), "not a jpeg");
            File.WriteAllText(Path.Combine(dir, "notes.txt"), "ignored");

            var images = JpegDirectoryReader.ListImages(dir);
            using var indexer = StreamIndexer.ForDirectory(new OriginOptions { CacheDirectory = dir }, new MediaRoot(dir, followSymlinks: false), images, Path.Combine(dir, "cache.frames"));
            while (indexer.Step())
            {
            }

            Assert.Equal(["a.JPG", "b.jpg", "broken.jpg", "c.jpeg"], images.Select(Path.GetFileName));
            Assert.Equal(frames, Enumerable.Range(0, indexer.Index.Count).Select(i => indexer.Store.Read(indexer.Index[i])!.ToByteArray()));
            Assert.Equal(1, indexer.Index.SkippedFrames);
            Assert.Contains("broken.jpg", indexer.Index.FirstProblem);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
