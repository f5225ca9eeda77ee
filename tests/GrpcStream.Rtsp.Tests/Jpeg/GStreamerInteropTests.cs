using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Rtp;
using GrpcStream.Testing;

namespace GrpcStream.Rtsp.Tests.Jpeg;

/// <summary>Our RFC 2435 against GStreamer's rtpjpegpay and rtpjpegdepay, through RFC 4571 framed files.</summary>
public sealed class GStreamerInteropTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("grpcstream-gst-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(320, 240, new string[0])]
    [InlineData(176, 144, new[] { "-sample", "2x1", "-restart", "1" })]
    public async Task GStreamer_depacketizes_what_we_packetize(int width, int height, string[] cjpegArguments)
    {
        var sources = new List<byte[]>();
        var packets = new List<byte[]>();
        var packetizer = new RtpJpegPacketizer();
        var frame = new PacketizedFrame();
        ushort sequence = 65530; // cross the wrap on the way
        for (var f = 0; f < 3; f++)
        {
            var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(width, height, seed: f * 40), cjpegArguments);
            sources.Add(jpeg);
            Assert.True(JpegParser.TryParse(jpeg, out var info));
            packetizer.Packetize(jpeg, info, frame);
            for (var i = 0; i < frame.PacketCount; i++)
            {
                var payload = frame.GetPayload(i).Span;
                var rtp = new byte[RtpHeader.Size + payload.Length];
                new RtpHeader(frame.IsLast(i), RtpJpegHeader.PayloadType, sequence++, (uint)(f * 3600), 0x1234).Write(rtp);
                payload.CopyTo(rtp.AsSpan(RtpHeader.Size));
                packets.Add(rtp);
            }
        }

        var input = Path.Combine(_dir, "ours.rtp");
        await File.WriteAllBytesAsync(input, RtpStreamFile.Write(packets), TestContext.Current.CancellationToken);
        await ExternalTool.RunAsync("gst-launch-1.0",
        [
            "-q", "filesrc", $"location={input}", "!",
            "application/x-rtp-stream,media=video,clock-rate=90000,encoding-name=JPEG,payload=26", "!",
            "rtpstreamdepay", "!", "rtpjpegdepay", "!", "multifilesink", $"location={_dir}/gst%d.jpg",
        ]);

        for (var f = 0; f < sources.Count; f++)
        {
            var theirs = await File.ReadAllBytesAsync(Path.Combine(_dir, $"gst{f}.jpg"), TestContext.Current.CancellationToken);
            Assert.Equal(await TestJpegs.DecodeAsync(sources[f]), await TestJpegs.DecodeAsync(theirs));
        }
    }

    [Theory]
    [InlineData(320, 240, new string[0])]
    [InlineData(320, 240, new[] { "-sample", "2x1" })]
    [InlineData(640, 480, new[] { "-restart", "2" })]
    public async Task We_depacketize_what_GStreamer_packetizes(int width, int height, string[] cjpegArguments)
    {
        var sources = new List<byte[]>();
        for (var f = 0; f < 3; f++)
        {
            var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(width, height, seed: f * 30), cjpegArguments);
            sources.Add(jpeg);
            await File.WriteAllBytesAsync(Path.Combine(_dir, $"in{f}.jpg"), jpeg, TestContext.Current.CancellationToken);
        }

        var output = Path.Combine(_dir, "theirs.rtp");
        await ExternalTool.RunAsync("gst-launch-1.0",
        [
            "-q", "multifilesrc", $"location={_dir}/in%d.jpg", "index=0", "stop-index=2", "caps=image/jpeg,framerate=25/1", "!",
            "jpegparse", "!", "rtpjpegpay", "mtu=1000", "!", "rtpstreampay", "!", "filesink", $"location={output}",
        ]);

        var depacketizer = new RtpJpegDepacketizer();
        var rebuilt = new List<byte[]>();
        foreach (var rtp in RtpStreamFile.Read(await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken)))
        {
            Assert.Equal(RtpPacketError.None, RtpPacket.TryParse(rtp, out var packet));
            Assert.Equal(RtpJpegHeader.PayloadType, packet.Header.PayloadType);
            if (depacketizer.Push(packet.Header.Timestamp, packet.Header.Marker, packet.PayloadOf(rtp), out var jpeg))
            {
                rebuilt.Add(jpeg.ToArray());
            }
        }

        Assert.Equal(sources.Count, rebuilt.Count);
        Assert.Equal(0, depacketizer.FramesDropped);
        for (var f = 0; f < sources.Count; f++)
        {
            Assert.Equal(await TestJpegs.DecodeAsync(sources[f]), await TestJpegs.DecodeAsync(rebuilt[f]));
        }
    }
}
