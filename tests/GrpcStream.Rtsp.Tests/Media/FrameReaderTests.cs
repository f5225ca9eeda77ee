using System.Text;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Media;
using GrpcStream.Testing;

namespace GrpcStream.Rtsp.Tests.Media;

public class FrameReaderTests
{
    [Fact]
    public async Task Lab_format_frames_are_read_in_order()
    {
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(4));
        var file = TestJpegs.LengthPrefixed(frames);

        Assert.Equal(SourceFormat.LengthPrefixed, FormatDetector.Detect(file));
        var split = LengthPrefixedReader.Split(file);

        Assert.Equal(0, split.Skipped);
        Assert.Equal(frames, split.Frames.Select(f => f.Jpeg.ToArray()));
    }

    [Fact]
    public async Task Lab_format_with_a_truncated_last_frame_keeps_the_whole_ones()
    {
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(3));
        var file = TestJpegs.LengthPrefixed(frames);

        var split = LengthPrefixedReader.Split(file.AsMemory(0, file.Length - 100));

        Assert.Equal(2, split.Frames.Count);
        Assert.Equal(1, split.Skipped);
        Assert.Contains("runs past the end", split.FirstProblem);
    }

    [Fact]
    public async Task Lab_format_frame_that_is_not_a_jpeg_is_skipped_and_the_next_is_read()
    {
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(2));
        var garbage = Encoding.ASCII.GetBytes("this is not a JPEG image at all");
        var file = TestJpegs.LengthPrefixed([frames[0], garbage, frames[1]]);

        var split = LengthPrefixedReader.Split(file);

        Assert.Equal([frames[0], frames[1]], split.Frames.Select(f => f.Jpeg.ToArray()));
        Assert.Equal(1, split.Skipped);
        Assert.Contains("frame 1", split.FirstProblem);
    }

    [Fact]
    public async Task Lab_format_with_a_bad_length_field_stops_there()
    {
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(2));
        var file = TestJpegs.LengthPrefixed(frames).Concat(Encoding.ASCII.GetBytes("12a45garbage")).ToArray();

        var split = LengthPrefixedReader.Split(file);

        Assert.Equal(2, split.Frames.Count);
        Assert.Equal(1, split.Skipped);
        Assert.Contains("no 5-digit length", split.FirstProblem);
    }

    [Fact]
    public async Task Concatenated_frames_from_ffmpeg_are_split_exactly()
    {
        var file = await TestJpegs.FfmpegFramesAsync(5);

        Assert.Equal(SourceFormat.ConcatenatedJpeg, FormatDetector.Detect(file));
        var split = ConcatenatedJpegReader.Split(file);

        Assert.Equal(0, split.Skipped);
        Assert.Equal(TestJpegs.SplitSimple(file), split.Frames.Select(f => f.Jpeg.ToArray()));
    }

    [Fact]
    public async Task Concatenated_split_ignores_end_markers_inside_segments()
    {
        var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(48, 32));
        // An APP1 segment holding the bytes of a tiny "image" (SOI, EOI), as an EXIF thumbnail would.
        byte[] app1 = [0xFF, 0xE1, 0x00, 0x08, 0xFF, 0xD8, 0xFF, 0xD9, 0xFF, 0xD9];
        var withThumbnail = jpeg[..2].Concat(app1).Concat(jpeg[2..]).ToArray();
        var file = withThumbnail.Concat(jpeg).Concat(withThumbnail).ToArray();

        var split = ConcatenatedJpegReader.Split(file);

        Assert.Equal([withThumbnail.Length, jpeg.Length, withThumbnail.Length], split.Frames.Select(f => f.Jpeg.Length));
    }

    [Fact]
    public async Task Concatenated_corrupt_frame_is_skipped_and_the_rest_are_kept()
    {
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(3));
        var broken = (byte[])frames[1].Clone();
        // Break the first segment's length field (it follows SOI): 0x0001 is below the minimum of 2.
        broken[4] = 0x00;
        broken[5] = 0x01;
        var file = frames[0].Concat(broken).Concat(frames[2]).ToArray();

        var split = ConcatenatedJpegReader.Split(file);

        Assert.Equal([frames[0], frames[2]], split.Frames.Select(f => f.Jpeg.ToArray()));
        Assert.Equal(1, split.Skipped);
    }

    [Fact]
    public async Task Concatenated_truncated_last_frame_is_skipped()
    {
        var file = await TestJpegs.FfmpegFramesAsync(3);

        var split = ConcatenatedJpegReader.Split(file.AsMemory(0, file.Length - 500));

        Assert.Equal(2, split.Frames.Count);
        Assert.Equal(1, split.Skipped);
        Assert.Contains("truncated", split.FirstProblem);
    }

    [Fact]
    public async Task Splitting_a_file_of_nothing_but_candidates_is_linear_and_finds_the_frames_after_it()
    {
        // Every 6 bytes a start of image whose APP1 segment hops 65532 bytes to the APP1 of a later group, on and on,
        // until the zeros after the groups end the walk with an error. Tried from every start, that walk is
        // quadratic: 16 MiB took 17.7 CPU-seconds before the splitter budgeted its re-reading.
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(2, 64, 48));
        var file = Adversarial(16 << 20, [.. frames[0], .. frames[1]]);

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var split = ConcatenatedJpegReader.Split(file);
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);

        Assert.Equal(frames, split.Frames.Select(f => f.Jpeg.ToArray()));
        Assert.InRange(split.ExaminedBytes, 0, ((ConcatenatedJpegReader.ResyncBudgetPerByte + 2L) * file.Length) + (64L << 20));
        Assert.True(elapsed < TimeSpan.FromSeconds(30), $"splitting took {elapsed}");
    }

    [Fact]
    public void Random_bytes_with_starts_of_images_sprinkled_in_split_to_nothing_without_exceptions()
    {
        var random = new Random(11);
        var file = new byte[4 << 20];
        random.NextBytes(file);
        for (var i = 0; i < 10_000; i++)
        {
            var at = random.Next(file.Length - 3);
            file[at] = 0xFF;
            file[at + 1] = 0xD8;
            file[at + 2] = 0xFF;
        }

        // The event is process-wide: only this thread's exceptions are the splitter's (tests run in parallel).
        var exceptions = 0;
        var thread = Environment.CurrentManagedThreadId;
        EventHandler<System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs> count = (_, _) =>
        {
            if (Environment.CurrentManagedThreadId == thread)
            {
                Interlocked.Increment(ref exceptions);
            }
        };
        AppDomain.CurrentDomain.FirstChanceException += count;
        FrameSplit split;
        try
        {
            split = ConcatenatedJpegReader.Split(file);
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= count;
        }

        Assert.Empty(split.Frames);
        Assert.InRange(split.Skipped, 1_000, 10_100);
        Assert.InRange(split.ExaminedBytes, 0, ((ConcatenatedJpegReader.ResyncBudgetPerByte + 2L) * file.Length) + (64L << 20));
        Assert.Equal(0, exceptions);
    }

    /// <summary><paramref name="length"/> bytes of FF D8 FF E1 FF FA groups, 64 KiB of zeros, then <paramref name="tail"/>.</summary>
    internal static byte[] Adversarial(int length, byte[] tail)
    {
        byte[] group = [0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFA];
        var file = new byte[(length / group.Length * group.Length) + 65536 + tail.Length];
        for (var at = 0; at + group.Length <= length; at += group.Length)
        {
            group.CopyTo(file, at);
        }

        tail.CopyTo(file, file.Length - tail.Length);
        return file;
    }

    [Fact]
    public void Content_decides_the_format_not_the_name()
    {
        Assert.Null(FormatDetector.Detect(Encoding.ASCII.GetBytes("00098 but then text")));
        Assert.Null(FormatDetector.Detect([]));
        Assert.Null(FormatDetector.Detect(Encoding.UTF8.GetBytes("{\"json\": true}")));
        Assert.Equal(SourceFormat.LengthPrefixed, FormatDetector.Detect([.. "00098"u8, 0xFF, 0xD8, 0xFF]));
        // Length fields that chain but never lead to a JPEG are not the lab format.
        Assert.Null(FormatDetector.Detect("00003abc00003def00003ghi"u8));
    }
}
