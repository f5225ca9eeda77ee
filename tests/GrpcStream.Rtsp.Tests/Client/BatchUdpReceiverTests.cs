using System.Net;
using System.Net.Sockets;
using GrpcStream.Rtsp.Client;

namespace GrpcStream.Rtsp.Tests.Client;

/// <summary>Datagrams taken many to a system call over real loopback sockets: every one, in order, with its port.</summary>
public sealed class BatchUdpReceiverTests : IDisposable
{
    private readonly Socket _receiver = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _sender = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public BatchUdpReceiverTests()
    {
        _receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _receiver.ReceiveBufferSize = 4 * 1024 * 1024; // as the client's: nothing the test sends is dropped by the kernel
        _sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public void Dispose()
    {
        _receiver.Dispose();
        _sender.Dispose();
    }

    [Fact]
    public async Task More_datagrams_than_a_batch_arrive_whole_in_order_with_the_senders_port_and_an_oversized_one_ends_the_batching()
    {
        Assert.SkipUnless(BatchUdpReceiver.IsSupported, "recvmmsg is Linux's");
        var received = new List<(byte[] Data, int? Port)>();
        var receiver = new BatchUdpReceiver(_receiver);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = receiver.RunAsync((datagram, port) => { lock (received) { received.Add((datagram.ToArray(), port)); } }, stop.Token);

        // 100 datagrams of different sizes, sent before and while the receiver drains them.
        var sent = Enumerable.Range(0, 100).Select(i => Enumerable.Repeat((byte)i, 1 + (i * 19 % BatchUdpReceiver.SlotBytes)).ToArray()).ToArray();
        foreach (var datagram in sent)
        {
            await _sender.SendToAsync(datagram, _receiver.LocalEndPoint!, TestContext.Current.CancellationToken);
        }

        await GrpcStream.Testing.Eventually.HoldsAsync(() => { lock (received) { return received.Count >= sent.Length; } }, "every datagram received");
        await _sender.SendToAsync(new byte[BatchUdpReceiver.SlotBytes + 1], _receiver.LocalEndPoint!, TestContext.Current.CancellationToken);

        Assert.False(await running.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal(sent, received.Select(r => r.Data));
        Assert.All(received, r => Assert.Equal(((IPEndPoint)_sender.LocalEndPoint!).Port, r.Port));
    }
}
