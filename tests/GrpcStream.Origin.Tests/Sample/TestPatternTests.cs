using GrpcStream.Origin.Tests.Live;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Testing;

namespace GrpcStream.Origin.Tests.Sample;

public class TestPatternTests
{
    [Fact]
    public async Task With_no_configuration_the_origin_serves_the_sample()
    {
        await using var origin = await OriginTestHost.StartAsync();

        var list = await origin.Client.ListStreamsAsync(new ListStreamsRequest());

        var sample = Assert.Single(list.Streams);
        Assert.Equal("movie.Mjpeg", sample.Name);
        Assert.Equal(SourceFormat.Generated, sample.SourceFormat);
        Assert.Equal((320u, 240u), (sample.Width, sample.Height));
        Assert.True(sample.RtpCarriable);
        Assert.Null(sample.Conversion);
        Assert.Equal(Protos.Origin.V1.JpegProcess.Baseline, sample.SourceJpeg.Process);
        Assert.Equal(ChromaSubsampling._420, sample.SourceJpeg.Chroma);
        Assert.True(sample.SourceJpeg.StandardHuffmanTables);
    }

    [Fact]
    public async Task Sample_frames_are_carriable_distinct_and_decode()
    {
        await using var origin = await OriginTestHost.StartAsync();
        using var call = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });
        var frame = (await LiveClockTests.NextAsync(call.ResponseStream)).Jpeg.ToByteArray();

        Assert.True(JpegParser.TryParse(frame, out var info));
        Assert.Equal(RtpJpegIncompatibility.None, RtpJpegCompatibility.Check(info));
        var pixels = await TestJpegs.DecodeAsync(frame);
        Assert.Equal((320 * 240 * 3) + "P6\n320 240\n255\n".Length, pixels.Length);

        // Every frame of the loop is a different picture (counter and moving box).
        var frames = Enumerable.Range(0, 5).Select(i => Origin.Sample.TestPatternStream.EncodeFrame(i, 5)).ToArray();
        Assert.Equal(5, frames.Select(Convert.ToBase64String).Distinct().Count());
    }
}
