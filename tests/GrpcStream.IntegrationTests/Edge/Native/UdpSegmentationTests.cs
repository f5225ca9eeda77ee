using System.Net;
using System.Net.Sockets;
using GrpcStream.Edge.Native;

namespace GrpcStream.IntegrationTests.Edge.Native;

public sealed class UdpSegmentationTests
{
    [Fact]
    public async Task One_send_arrives_as_separate_datagrams_with_the_exact_bytes()
    {
        Assert.SkipUnless(UdpSegmentation.IsAvailable, "UDP segmentation is Linux-only");
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        // Five 100-byte datagrams and a 37-byte last one, laid out with gaps between them as a packetized
        // frame's header room leaves them.
        const int segment = 100;
        int[] lengths = [segment, segment, segment, segment, segment, 37];
        var buffer = new byte[lengths.Sum() + (lengths.Length * 4)];
        Random.Shared.NextBytes(buffer);
        var ranges = new Range[lengths.Length];
        var at = 0;
        for (var i = 0; i < lengths.Length; i++)
        {
            at += 4;
            ranges[i] = new Range(at, at + lengths[i]);
            at += lengths[i];
        }

        var result = UdpSegmentation.Send(sender, buffer, ranges, segment, receiver.LocalEndPoint!.Serialize());

        Assert.Equal(SegmentedSendResult.Sent, result);
        var received = new byte[2048];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        foreach (var range in ranges)
        {
            var got = await receiver.ReceiveFromAsync(received, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
            Assert.Equal(sender.LocalEndPoint, got.RemoteEndPoint);
            Assert.Equal(buffer[range], received[..got.ReceivedBytes]);
        }

        Assert.Equal(0, receiver.Available);
    }

    [Fact]
    public void A_segment_larger_than_the_route_allows_is_unsuitable_not_an_exception()
    {
        Assert.SkipUnless(UdpSegmentation.IsAvailable, "UDP segmentation is Linux-only");
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        // Three 30,000-byte segments: 90,000 bytes is more than one IP datagram can carry before segmentation.
        var buffer = new byte[90_000];
        Range[] ranges = [0..30_000, 30_000..60_000, 60_000..90_000];

        var result = UdpSegmentation.Send(sender, buffer, ranges, 30_000, receiver.LocalEndPoint!.Serialize());

        Assert.Equal(SegmentedSendResult.Unsuitable, result);
    }
}
