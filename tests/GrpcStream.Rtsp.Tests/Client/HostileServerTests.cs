using GrpcStream.Rtsp.Client;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Testing;

namespace GrpcStream.Rtsp.Tests.Client;

/// <summary>The client plays only what its session's server sends, within its limits, whatever else arrives.</summary>
public class HostileServerTests
{
    [Theory]
    [InlineData(RtspTransport.Udp)]
    [InlineData(RtspTransport.Tcp)]
    public async Task Forged_packets_are_rejected_and_a_huge_fragment_offset_costs_nothing(RtspTransport transport)
    {
        var honest = await TestJpegs.CjpegAsync(TestJpegs.Ppm(64, 48, seed: 1));
        var forged = await TestJpegs.CjpegAsync(TestJpegs.Ppm(128, 96, seed: 2));
        await using var server = new HostileRtspServer(honest, forged);
        await using var client = new RtspPlayer(server.Url, new RtspPlayerOptions { Transport = transport });

        await client.PlayAsync(TestContext.Current.CancellationToken);
        var frames = new List<byte[]>();
        using var enough = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        enough.CancelAfter(TimeSpan.FromSeconds(30));
        await foreach (var frame in client.ReadFramesAsync(enough.Token))
        {
            frames.Add(frame.Jpeg);
            if (frames.Count == 10)
            {
                break;
            }
        }

        Assert.Equal(10, frames.Count);
        foreach (var frame in frames)
        {
            Assert.True(JpegParser.TryParse(frame, out var info));
            Assert.Equal((64, 48), (info.Width, info.Height));
        }

        var stats = client.GetStatistics();
        Assert.True(stats.RejectedPackets > 0, "no forged packet was rejected");
        Assert.True(stats.DroppedFrames > 0, "the fragment 16 MB ahead was not dropped");
    }
}
