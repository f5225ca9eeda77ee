using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Testing;

namespace GrpcStream.Rtsp.Tests.Jpeg;

public class JpegParserTests
{
    private static readonly byte[] Picture = TestJpegs.Ppm(64, 48);

    [Fact]
    public async Task Baseline_420_from_cjpeg_is_carriable_as_type_1()
    {
        var jpeg = await TestJpegs.CjpegAsync(Picture);

        Assert.True(JpegParser.TryParse(jpeg, out var info));
        Assert.Equal(jpeg.Length, info.Length);
        Assert.Equal(JpegProcess.Baseline, info.Process);
        Assert.Equal((64, 48), (info.Width, (int)info.Height));
        Assert.Equal(8, info.Precision);
        Assert.Equal(JpegChroma.Yuv420, info.Chroma);
        Assert.Equal("2x2,1x1,1x1", info.SamplingText);
        Assert.True(info.HasStandardHuffmanTables);
        Assert.Equal(1, info.ScanCount);
        Assert.Equal(RtpJpegIncompatibility.None, RtpJpegCompatibility.Check(info));
        Assert.True(RtpJpegCompatibility.TryGetType(info, out var type));
        Assert.Equal(1, type);

        // The scan runs from after the SOS segment to the EOI marker, which closes the image.
        Assert.Equal(jpeg.Length - 2, info.ScanDataOffset + info.ScanDataLength);
        Assert.Equal([0xFF, 0xD9], jpeg[^2..]);
        Assert.True(info.GetQuantTable(0).IsPresent);
        Assert.True(info.GetQuantTable(1).IsPresent);
        Assert.Equal(0, jpeg[info.GetQuantTable(0).Offset - 1] & 0x0F);
    }

    [Fact]
    public async Task Sampling_2x1_with_restart_markers_is_type_64()
    {
        var jpeg = await TestJpegs.CjpegAsync(Picture, "-sample", "2x1", "-restart", "1");

        Assert.True(JpegParser.TryParse(jpeg, out var info));
        Assert.Equal(JpegChroma.Yuv422, info.Chroma);
        Assert.True(info.RestartInterval > 0);
        Assert.Equal(RtpJpegIncompatibility.None, RtpJpegCompatibility.Check(info));
        Assert.True(RtpJpegCompatibility.TryGetType(info, out var type));
        Assert.Equal(64, type);
    }

    [Theory]
    [InlineData(new[] { "-sample", "1x1" }, JpegChroma.Yuv444, RtpJpegIncompatibility.Sampling)]
    [InlineData(new[] { "-grayscale" }, JpegChroma.Grayscale, RtpJpegIncompatibility.ComponentCount)]
    [InlineData(new[] { "-optimize" }, JpegChroma.Yuv420, RtpJpegIncompatibility.HuffmanTables)]
    [InlineData(new[] { "-progressive" }, JpegChroma.Yuv420, RtpJpegIncompatibility.Progressive)]
    public async Task Layouts_RFC_2435_cannot_carry_get_a_typed_reason(string[] arguments, JpegChroma chroma, RtpJpegIncompatibility expected)
    {
        var jpeg = await TestJpegs.CjpegAsync(Picture, arguments);

        Assert.True(JpegParser.TryParse(jpeg, out var info));
        Assert.Equal(jpeg.Length, info.Length);
        Assert.Equal(chroma, info.Chroma);
        Assert.Equal(expected, RtpJpegCompatibility.Check(info));
    }

    [Fact]
    public async Task Jpegtran_optimize_and_progressive_are_detected()
    {
        var baseline = await TestJpegs.CjpegAsync(Picture);
        var optimized = await TestJpegs.JpegtranAsync(baseline, "-optimize");
        var progressive = await TestJpegs.JpegtranAsync(baseline, "-progressive");

        Assert.True(JpegParser.TryParse(optimized, out var o));
        Assert.Equal(RtpJpegIncompatibility.HuffmanTables, RtpJpegCompatibility.Check(o));
        Assert.True(JpegParser.TryParse(progressive, out var p));
        Assert.Equal(JpegProcess.Progressive, p.Process);
        Assert.True(p.ScanCount > 1);
        Assert.Equal(RtpJpegIncompatibility.Progressive, RtpJpegCompatibility.Check(p));
    }

    [Fact]
    public async Task Ffmpeg_yuvj422p_and_optimal_huffman_are_not_carriable_but_default_tables_are()
    {
        var yuvj422 = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(1, pixelFormat: "yuvj422p"))[0];
        var optimal = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(1, standardHuffman: false))[0];
        var standard = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(1))[0];

        Assert.True(JpegParser.TryParse(yuvj422, out var a));
        Assert.Equal(JpegChroma.Yuv422, a.Chroma);
        Assert.Equal("2x2,1x2,1x2", a.SamplingText);
        Assert.Equal(RtpJpegIncompatibility.Sampling, RtpJpegCompatibility.Check(a));

        Assert.True(JpegParser.TryParse(optimal, out var b));
        Assert.Equal(RtpJpegIncompatibility.HuffmanTables, RtpJpegCompatibility.Check(b));

        Assert.True(JpegParser.TryParse(standard, out var c));
        Assert.Equal(RtpJpegIncompatibility.None, RtpJpegCompatibility.Check(c));
    }

    [Fact]
    public async Task Every_prefix_needs_more_data_and_never_throws()
    {
        var jpeg = await TestJpegs.CjpegAsync(Picture, "-restart", "1");

        for (var length = 0; length < jpeg.Length; length++)
        {
            Assert.False(JpegParser.TryParse(jpeg.AsSpan(0, length), out _), $"prefix of {length} bytes");
        }

        Assert.True(JpegParser.TryParse(jpeg, out _));
    }

    [Fact]
    public async Task Bytes_after_the_image_are_not_part_of_it()
    {
        var jpeg = await TestJpegs.CjpegAsync(Picture);
        var two = jpeg.Concat(jpeg).ToArray();

        Assert.True(JpegParser.TryParse(two, out var info));
        Assert.Equal(jpeg.Length, info.Length);
    }

    [Fact]
    public async Task End_of_image_bytes_inside_a_segment_do_not_end_the_image()
    {
        var jpeg = await TestJpegs.CjpegAsync(Picture);
        // An APP1 segment (as EXIF thumbnails are) holding a whole tiny "image": SOI ... EOI.
        byte[] app1 = [0xFF, 0xE1, 0x00, 0x08, 0xFF, 0xD8, 0xFF, 0xD9, 0xFF, 0xD9];
        var withSegment = jpeg[..2].Concat(app1).Concat(jpeg[2..]).ToArray();

        Assert.True(JpegParser.TryParse(withSegment, out var info));
        Assert.Equal(withSegment.Length, info.Length);
    }

    [Fact]
    public async Task Parsing_allocates_nothing()
    {
        var jpeg = await TestJpegs.CjpegAsync(Picture, "-restart", "1");
        Assert.True(JpegParser.TryParse(jpeg, out _));

        // No await between the two readings: the loop runs on this one thread.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var parsed = 0;
        for (var i = 0; i < 100; i++)
        {
            parsed += JpegParser.TryParse(jpeg, out _) ? 1 : 0;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(100, parsed);
    }

    public static TheoryData<string, byte[], JpegFormatError> Malformed => new()
    {
        { "no SOI", [0x00, 0xD8, 0xFF, 0xD9], JpegFormatError.MissingStartOfImage },
        { "one wrong byte", [0x42], JpegFormatError.MissingStartOfImage },
        { "data where a marker belongs", [0xFF, 0xD8, 0x12, 0x34], JpegFormatError.ExpectedMarker },
        { "segment length below 2", [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01], JpegFormatError.BadSegmentLength },
        { "EOI before any scan", [0xFF, 0xD8, 0xFF, 0xD9], JpegFormatError.NoScan },
        { "scan before frame header", [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00], JpegFormatError.ScanBeforeFrameHeader },
        { "zero width", [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x00, 0x01, 0x01, 0x11, 0x00], JpegFormatError.BadFrameHeader },
        { "height from DNL", [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x00, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00], JpegFormatError.HeightDefinedByDnl },
        { "five components", [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x08, 0x08, 0x00, 0x10, 0x00, 0x10, 0x05], JpegFormatError.BadFrameHeader },
        { "sampling factor 0", [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x10, 0x01, 0x01, 0x01, 0x00], JpegFormatError.BadFrameHeader },
        { "quant table id 4", [0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x04, .. new byte[64]], JpegFormatError.BadQuantizationTable },
        { "huffman table too short", [0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x05, 0x00, 0x01, 0x02], JpegFormatError.BadHuffmanTable },
        { "restart interval of 3 bytes", [0xFF, 0xD8, 0xFF, 0xDD, 0x00, 0x05, 0x00, 0x01, 0x02], JpegFormatError.BadRestartInterval },
        { "second SOI", [0xFF, 0xD8, 0xFF, 0xD8], JpegFormatError.InvalidMarker },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_images_give_a_typed_error(string what, byte[] data, JpegFormatError expected)
    {
        var error = Assert.Throws<JpegFormatException>(() => JpegParser.TryParse(data, out _));
        Assert.True(expected == error.Error, $"{what}: expected {expected}, got {error.Error}");
    }
}
