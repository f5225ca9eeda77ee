using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GrpcStream.Edge.Connections;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;
using GrpcStream.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.IntegrationTests.Edge.Connections;

/// <summary>
/// A connection's one output over a loopback socket pair: whatever threads hand it answers, RTCP and frames at
/// once, each leaves whole and in its producer's order; a client that stops reading fills a bounded queue, its
/// frames are refused, an answer waits for room, and the stalled send is measured for the write timeout.
/// </summary>
public sealed class ConnectionOutputTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<(Socket Server, Socket Client)> PairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var connecting = client.ConnectAsync(listener.LocalEndPoint!, Token);
        var server = await listener.AcceptAsync(Token);
        await connecting;
        return (server, client);
    }

    /// <summary>A frame whose only content is its sequence number, as a tagged interleaved packet.</summary>
    private static SharedFrame Frame(ConcurrentBag<SharedFrame> pool, int producer, int sequence)
    {
        var frame = SharedFrame.Rent(pool);
        frame.Set((ulong)sequence, (ulong)producer, 0, Encoding.ASCII.GetBytes($"F {producer} {sequence}"));
        return frame;
    }

    [Fact]
    public async Task Answers_rtcp_and_frames_from_many_threads_leave_whole_and_each_producers_in_order()
    {
        var (server, client) = await PairAsync();
        using var serverSocket = server;
        using var clientSocket = client;
        using var closed = new CancellationTokenSource();
        var output = new ConnectionOutput(server, null, 1 << 20, TimeProvider.System, Metrics(), closed.Token);
        var loop = Task.Run(output.RunAsync, Token);
        var reading = ReadAllAsync(client);
        const int producers = 4;
        const int each = 600;
        var writer = new TaggingWriter();
        var pool = new ConcurrentBag<SharedFrame>();
        var handed = new ConcurrentBag<string>();

        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(
            async () =>
            {
                for (var i = 0; i < each; i++)
                {
                    switch (i % 3)
                    {
                        case 0:
                            await output.SendAsync(Encoding.ASCII.GetBytes($"A {p} {i}\n"));
                            handed.Add($"A {p} {i}");
                            break;
                        case 1:
                            if (output.TrySendInterleaved((byte)(2 * p + 1), Encoding.ASCII.GetBytes($"R {p} {i}")))
                            {
                                handed.Add($"R {p} {i}");
                            }

                            break;
                        default:
                            if (output.TryQueueFrame(writer, Frame(pool, p, i), 64))
                            {
                                handed.Add($"F {p} {i}");
                            }

                            break;
                    }
                }
            },
            Token)));

        output.Complete();
        await loop.WaitAsync(TimeSpan.FromSeconds(30), Token);
        server.Shutdown(SocketShutdown.Send);
        var items = Parse(await reading.WaitAsync(TimeSpan.FromSeconds(30), Token));

        // Every item handed over arrived once and whole (a torn write would not parse), nothing else arrived, and
        // each producer's items of each kind came in the order it handed them over.
        Assert.Equal(handed.Order(), items.Order());
        Assert.Equal(producers * each / 3, items.Count(i => i.StartsWith('A')));
        foreach (var group in items.GroupBy(i => i[..i.LastIndexOf(' ')]))
        {
            var sequence = group.Select(i => int.Parse(i[(i.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(sequence.Order(), sequence);
        }

        Assert.Equal(writer.Gathered, writer.Done);
        Assert.Equal(0, output.QueuedBytes);
    }

    [Fact]
    public async Task A_client_that_stops_reading_fills_the_bounded_queue_its_frames_are_refused_an_answer_waits_and_the_stalled_send_is_measured()
    {
        var (server, client) = await PairAsync();
        using var serverSocket = server;
        using var clientSocket = client;
        server.SendBufferSize = 4096;
        client.ReceiveBufferSize = 4096;
        using var closed = new CancellationTokenSource();
        var time = new FakeTimeProvider();
        const int bound = 256 * 1024;
        var output = new ConnectionOutput(server, null, bound, time, Metrics(), closed.Token);
        var loop = Task.Run(output.RunAsync, Token);
        var writer = new TaggingWriter(padding: 16 * 1024);
        var pool = new ConcurrentBag<SharedFrame>();

        // The client reads nothing: frames go until the queue is full short of the room kept for answers.
        var accepted = 0;
        while (output.TryQueueFrame(writer, Frame(pool, 0, accepted), 16 * 1024))
        {
            Assert.True(++accepted < 1000, "the queue never refused a frame");
        }

        Assert.InRange(output.QueuedBytes, 1, bound - OutgoingQueue.ControlReserve);

        // The writer is stuck on the client: how long is measured on the clock, for the connection's write timeout.
        await Eventually.HoldsAsync(() => output.SendingFor(time.GetTimestamp()) is not null, "the writer waiting on the client");
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(output.SendingFor(time.GetTimestamp()) >= TimeSpan.FromSeconds(10));

        // An answer finds the room kept for answers; once that is full too, the next one waits, and is not dropped.
        var answer = new byte[OutgoingQueue.ControlReserve / 4];
        ValueTask waiting = default;
        for (var i = 0; i < 8; i++)
        {
            waiting = output.SendAsync(answer);
            if (!waiting.IsCompleted)
            {
                break;
            }
        }

        Assert.False(waiting.IsCompleted, "an answer over the bound was queued anyway");
        Assert.InRange(output.QueuedBytes, 1, bound);

        // The connection closes (the write timeout's abort): the waiting answer and the stalled send end, and every
        // frame handed over is given back, sent or not.
        await closed.CancelAsync();
        output.Complete();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(30), Token));
        await loop.WaitAsync(TimeSpan.FromSeconds(30), Token);
        output.ReleaseQueued();
        Assert.Equal(accepted, writer.Done);
        Assert.Equal(0, output.QueuedBytes);
    }

    private static async Task<byte[]> ReadAllAsync(Socket socket)
    {
        using var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, Token)) > 0)
        {
            all.Write(buffer, 0, read);
        }

        return all.ToArray();
    }

    /// <summary>Answers are lines; RTCP and frames are interleaved packets ('$', channel, length) carrying their tag.</summary>
    private static List<string> Parse(byte[] bytes)
    {
        var items = new List<string>();
        var at = 0;
        while (at < bytes.Length)
        {
            if (bytes[at] == (byte)'$')
            {
                var length = (bytes[at + 2] << 8) | bytes[at + 3];
                var payload = Encoding.ASCII.GetString(bytes, at + 4, length);
                items.Add(payload.TrimEnd('.'));
                at += 4 + length;
                continue;
            }

            var end = Array.IndexOf(bytes, (byte)'\n', at);
            Assert.True(end > at, "an answer was cut short");
            items.Add(Encoding.ASCII.GetString(bytes, at, end - at));
            at = end + 1;
        }

        return items;
    }

    /// <summary>Writes a frame as one interleaved packet carrying the frame's JPEG bytes (its tag), padded to a size.</summary>
    private sealed class TaggingWriter(int padding = 0) : IInterleavedFrameWriter
    {
        private int _gathered;
        private int _done;

        public int Gathered => Volatile.Read(ref _gathered);

        public int Done => Volatile.Read(ref _done);

        public void Gather(SharedFrame frame, List<ArraySegment<byte>> segments, ref byte[] scratch)
        {
            var tag = frame.Jpeg.Span;
            var length = Math.Max(tag.Length, padding);
            if (scratch.Length < 4 + length)
            {
                scratch = new byte[4 + length];
            }

            scratch[0] = (byte)'$';
            scratch[1] = (byte)(2 * (int)frame.Pts90Khz);
            scratch[2] = (byte)(length >> 8);
            scratch[3] = (byte)length;
            tag.CopyTo(scratch.AsSpan(4));
            scratch.AsSpan(4 + tag.Length, length - tag.Length).Fill((byte)'.');
            segments.Add(new ArraySegment<byte>(scratch, 0, 4 + length));
            Interlocked.Increment(ref _gathered);
        }

        void IInterleavedFrameWriter.Done(SharedFrame frame, bool sent)
        {
            Interlocked.Increment(ref _done);
            frame.Release();
        }
    }

    private static GrpcStream.Edge.Diagnostics.EdgeMetrics Metrics() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
}
