using System.Net;
using System.Net.Sockets;
using GrpcStream.Edge.Connections;
using GrpcStream.Edge.Native;

namespace GrpcStream.IntegrationTests.Edge.Native;

/// <summary>The allocation-free gathered TCP write, over a real loopback connection.</summary>
public sealed class GatheredSendTests : IAsyncLifetime
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private Socket _client = null!;
    private Socket _server = null!;

    public async ValueTask InitializeAsync()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1);
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await _client.ConnectAsync(_listener.LocalEndPoint!, TestContext.Current.CancellationToken);
        _server = await _listener.AcceptAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Pieces_of_several_arrays_arrive_in_order_and_byte_for_byte()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the native path is Linux-only");
        var (pieces, expected) = Pieces(arrays: 6, pieces: 40); // more arrays than one call pins: two calls

        var sent = 0;
        while (pieces.Count > 0)
        {
            var n = GatheredSend.TrySend(_client, pieces);
            Assert.True(n > 0);
            sent += n;
            GatheredSend.Advance(pieces, n);
        }

        Assert.Equal(expected, await ReceiveAsync(sent));
    }

    [Fact]
    public void A_send_that_the_kernel_takes_at_once_allocates_nothing()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the native path is Linux-only");
        var (pieces, _) = Pieces(arrays: 2, pieces: 32);
        var drain = Task.Run(() => Drain(_server));
        GatheredSend.TrySend(_client, [.. pieces]); // warm

        long allocated = 0;
        for (var i = 0; i < 200; i++)
        {
            var copy = new List<ArraySegment<byte>>(pieces); // made before measuring
            var before = GC.GetAllocatedBytesForCurrentThread();
            GatheredSend.TrySend(_client, copy);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(0, allocated);
        _client.Shutdown(SocketShutdown.Send);
    }

    [Fact]
    public async Task A_full_socket_buffer_takes_what_it_can_and_the_sender_waits_for_the_rest()
    {
        // Small buffers, but above loopback's 64 KiB segment size: below it the receiver only reopens its window
        // when the sender's persist timer probes, which takes seconds.
        _client.SendBufferSize = 128 * 1024;
        _server.ReceiveBufferSize = 128 * 1024;
        var (pieces, expected) = Pieces(arrays: 2, pieces: 1000, size: 4000); // far more than both buffers hold
        using var sender = new SocketSender();

        var sending = sender.SendAsync(_client, pieces).AsTask();
        Assert.False(sending.IsCompleted); // the kernel could not take it all: the rest waits for the reader

        var received = await ReceiveAsync(expected.Length);
        await sending.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(expected, received);
    }

    [Fact]
    public void Advance_drops_whole_pieces_and_trims_the_first_partly_sent_one()
    {
        var a = new byte[10];
        var b = new byte[10];
        List<ArraySegment<byte>> pieces = [new(a, 0, 4), new(b, 2, 6), new(a, 5, 5)];

        GatheredSend.Advance(pieces, 7);

        Assert.Equal([new ArraySegment<byte>(b, 5, 3), new ArraySegment<byte>(a, 5, 5)], pieces);
    }

    private static (List<ArraySegment<byte>> Pieces, byte[] Expected) Pieces(int arrays, int pieces, int size = 100)
    {
        var random = new Random(7);
        var sources = Enumerable.Range(0, arrays).Select(_ =>
        {
            var array = new byte[size * pieces];
            random.NextBytes(array);
            return array;
        }).ToArray();
        var list = new List<ArraySegment<byte>>();
        for (var i = 0; i < pieces; i++)
        {
            list.Add(new ArraySegment<byte>(sources[i % arrays], i * size, size - (i % 7)));
        }

        return (list, [.. list.SelectMany(p => p)]);
    }

    private async Task<byte[]> ReceiveAsync(int length)
    {
        var received = new byte[length];
        var at = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (at < length)
        {
            int n;
            try
            {
                n = await _server.ReceiveAsync(received.AsMemory(at), SocketFlags.None, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"received {at} of {length} bytes");
                throw;
            }

            Assert.True(n > 0, "the connection closed early");
            at += n;
        }

        return received;
    }

    private static void Drain(Socket socket)
    {
        var buffer = new byte[65536];
        while (socket.Receive(buffer) > 0)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        _server.Dispose();
        _listener.Dispose();
        return ValueTask.CompletedTask;
    }
}
