using GrpcStream.Origin.Conversion;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Media;
using GrpcStream.Testing;

namespace GrpcStream.Origin.Tests.Conversion;

public class FrameConverterTests
{
    private static readonly byte[] Picture = TestJpegs.Ppm(96, 64, seed: 3);
    private readonly FrameConverter _converter = new(quality: 90);

    [Fact]
    public async Task Carriable_frames_pass_through_byte_for_byte()
    {
        var jpeg = await TestJpegs.CjpegAsync(Picture, "-sample", "2x1", "-restart", "2");

        var served = _converter.Convert(Source(jpeg));

        Assert.Equal(ConversionKind.None, served.Conversion);
        Assert.Equal(jpeg, served.Jpeg.ToArray());
    }

    [Theory]
    [InlineData("-progressive", RtpJpegIncompatibility.Progressive)]
    [InlineData("-optimize", RtpJpegIncompatibility.HuffmanTables)]
    public async Task Progressive_and_optimized_frames_are_recoded_without_changing_a_pixel(string jpegtranFlag, RtpJpegIncompatibility problem)
    {
        var baseline = await TestJpegs.CjpegAsync(Picture);
        var source = await TestJpegs.JpegtranAsync(baseline, jpegtranFlag);

        var served = _converter.Convert(Source(source));

        Assert.Equal(ConversionKind.Recoded, served.Conversion);
        Assert.Equal(problem, served.SourceProblem);
        Assert.Equal(RtpJpegIncompatibility.None, RtpJpegCompatibility.Check(served.Info));
        Assert.Equal(await TestJpegs.DecodeAsync(source), await TestJpegs.DecodeAsync(served.Jpeg.ToArray()));
    }

    [Fact]
    public async Task Ffmpeg_optimal_huffman_frames_are_recoded_losslessly_and_keep_restart_markers()
    {
        var source = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(1, standardHuffman: false))[0];

        var served = _converter.Convert(Source(source));

        Assert.Equal(ConversionKind.Recoded, served.Conversion);
        Assert.True(served.Info.HasStandardHuffmanTables);
        Assert.Equal(await TestJpegs.DecodeAsync(source), await TestJpegs.DecodeAsync(served.Jpeg.ToArray()));
    }

    [Theory]
    [InlineData("1x1")]
    [InlineData("1x2")]
    [InlineData("4x1")]
    public async Task Other_sampling_is_reencoded_as_4_2_0(string sampling)
    {
        var source = await TestJpegs.CjpegAsync(Picture, "-sample", sampling);

        var served = _converter.Convert(Source(source));

        Assert.Equal(ConversionKind.Reencoded, served.Conversion);
        Assert.Equal(RtpJpegIncompatibility.Sampling, served.SourceProblem);
        Assert.Equal(JpegChroma.Yuv420, served.Info.Chroma);
        Assert.Equal(RtpJpegIncompatibility.None, RtpJpegCompatibility.Check(served.Info));
        // The same picture with less chroma: a few levels off on average (a wrong conversion is off by tens).
        Assert.InRange(TestJpegs.MeanDifference(await TestJpegs.DecodeAsync(source), await TestJpegs.DecodeAsync(served.Jpeg.ToArray())), 0, 8);
    }

    [Fact]
    public async Task Ffmpeg_yuvj422p_is_reencoded_as_rtp_type_1()
    {
        var source = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(1, pixelFormat: "yuvj422p"))[0];

        var served = _converter.Convert(Source(source));

        Assert.Equal(ConversionKind.Reencoded, served.Conversion);
        Assert.True(RtpJpegCompatibility.TryGetType(served.Info, out var type));
        Assert.Equal(1, type);
        Assert.InRange(TestJpegs.MeanDifference(await TestJpegs.DecodeAsync(source), await TestJpegs.DecodeAsync(served.Jpeg.ToArray())), 0, 8);
    }

    [Fact]
    public async Task Grayscale_becomes_three_component_4_2_0()
    {
        var source = await TestJpegs.CjpegAsync(Picture, "-grayscale");

        var served = _converter.Convert(Source(source));

        Assert.Equal(RtpJpegIncompatibility.ComponentCount, served.SourceProblem);
        Assert.Equal(3, served.Info.ComponentCount);
        Assert.Equal(JpegChroma.Yuv420, served.Info.Chroma);
        Assert.Equal((96, 64), ((int)served.Info.Width, (int)served.Info.Height));
    }

    private static SourceFrame Source(byte[] jpeg)
    {
        Assert.True(JpegParser.TryParse(jpeg, out var info));
        return new SourceFrame(jpeg, info);
    }
}
