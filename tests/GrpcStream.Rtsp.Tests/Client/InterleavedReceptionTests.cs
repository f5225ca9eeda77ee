using GrpcStream.Rtsp.Client;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Testing;

namespace GrpcStream.Rtsp.Tests.Client;

/// <summary>
/// RTP interleaved on the RTSP connection, received over a real loopback socket in reads that end anywhere:
/// every packet counted, every frame rebuilt, packets split between two read buffers included.
/// </summary>
public class InterleavedReceptionTests
{
    [Theory]
    [InlineData(false)] // a load generator: large reads, frames counted
    [InlineData(true)] // a player: frames delivered
    public async Task Every_packet_and_frame_arrives_when_reads_split_packets(bool deliverFrames)
    {
        const int frames = 300;
        await using var server = new InterleavedFloodServer(await JpegAsync());
        await using var client = new RtspPlayer(server.Url, new RtspPlayerOptions
        {
            Transport = RtspTransport.Tcp,
            DeliverFrames = deliverFrames,
            FrameBuffer = frames + 1, // the test reads the frames only at the end
        });

        await client.PlayAsync(TestContext.Current.CancellationToken);
        await server.SendAsync(frames);
        var packets = frames * server.PacketsPerFrame;
        await Eventually.HoldsAsync(() => client.GetStatistics().Packets >= packets, $"{packets} packets received");

        var stats = client.GetStatistics();
        Assert.Equal((packets, 0L, frames, 0L), (stats.Packets, stats.LostPackets, stats.Frames, stats.DroppedFrames));
        Assert.True(client.StraddledPayloads > 0, "no packet was split between two reads: the test did not test that");
        if (deliverFrames)
        {
            var received = new List<ReceivedFrame>();
            using var enough = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            enough.CancelAfter(TimeSpan.FromSeconds(10));
            await foreach (var frame in client.ReadFramesAsync(enough.Token))
            {
                received.Add(frame);
                if (received.Count == frames)
                {
                    break;
                }
            }

            Assert.Equal(frames, received.Count);
            Assert.All(received, frame => Assert.Equal(received[0].Jpeg, frame.Jpeg));
            Assert.True(JpegParser.TryParse(received[0].Jpeg, out var info));
            Assert.Equal((320, 240), (info.Width, info.Height));
        }
    }

    internal static async Task<byte[]> JpegAsync() =>
        await TestJpegs.CjpegAsync(TestJpegs.Ppm(320, 240, seed: 3), "-quality", "95");
}
