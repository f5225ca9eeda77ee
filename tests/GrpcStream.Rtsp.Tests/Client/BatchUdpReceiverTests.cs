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
    public async Task More_datagrams_than_a_batch_arrive_whole_in_order_with_the_senders_port()
    {
        Assert.SkipUnless(BatchUdpReceiver.IsSupported, "recvmmsg is Linux's");
        var received = new List<(byte[] Data, DatagramSource? From)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = new BatchUdpReceiver(_receiver).RunAsync((datagram, port) => { lock (received) { received.Add((datagram.ToArray(), port)); } }, stop.Token);

        // 100 datagrams of different sizes, up to the largest UDP carries, sent before and while the receiver drains them.
        var sent = Enumerable.Range(0, 100).Select(i => Enumerable.Repeat((byte)i, 1 + (i * 997 % 65_000)).ToArray()).ToArray();
        foreach (var datagram in sent)
        {
            await _sender.SendToAsync(datagram, _receiver.LocalEndPoint!, TestContext.Current.CancellationToken);
        }

        await GrpcStream.Testing.Eventually.HoldsAsync(() => { lock (received) { return received.Count >= sent.Length; } }, "every datagram received");
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal(sent, received.Select(r => r.Data));
        Assert.All(received, r => Assert.Equal(new DatagramSource(DatagramSource.AddressOf(IPAddress.Loopback), ((IPEndPoint)_sender.LocalEndPoint!).Port), r.From));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_segmented_send_arrives_as_its_datagrams_coalesced_or_not_as_asked(bool gro)
    {
        Assert.SkipUnless(BatchUdpReceiver.IsSupported, "recvmmsg and UDP_GRO are Linux's");
        var received = new List<byte[]>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var receiver = new BatchUdpReceiver(_receiver, gro);
        var running = receiver.RunAsync((datagram, _) => { lock (received) { received.Add(datagram.ToArray()); } }, stop.Token);

        // As the edge sends a frame's packets: one sendmsg that the kernel cuts into 1,000-byte datagrams (UDP_SEGMENT).
        _sender.SetRawSocketOption(17, 103, BitConverter.GetBytes(1000));
        var run = Enumerable.Range(0, 10_500).Select(i => (byte)(i / 1000)).ToArray();
        await _sender.SendToAsync(run, _receiver.LocalEndPoint!, TestContext.Current.CancellationToken);

        await GrpcStream.Testing.Eventually.HoldsAsync(() => { lock (received) { return received.Count >= 11; } }, "the run's 11 datagrams");
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        // With UDP_GRO (available on this kernel) the run comes whole and is cut back here; without it, as players
        // receive (the benchmark's headline), the kernel delivers each datagram by itself.
        Assert.Equal(gro, receiver.Coalesced);
        Assert.Equal(run.Chunk(1000), received);
    }
}
