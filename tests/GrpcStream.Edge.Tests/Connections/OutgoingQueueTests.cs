using GrpcStream.Edge.Connections;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Tests.Fakes;
using GrpcStream.Edge.Transports;

namespace GrpcStream.Edge.Tests.Connections;

/// <summary>The connection's one bounded outgoing queue, without a socket.</summary>
public class OutgoingQueueTests
{
    private const int Limit = 4 * OutgoingQueue.ControlReserve;

    [Fact]
    public void Frames_fill_it_only_up_to_the_control_reserve()
    {
        var queue = new OutgoingQueue(Limit, EdgeParts.Metrics());
        var writer = new NullWriter();
        var frame = EdgeParts.Frame(0);
        var frameBytes = OutgoingQueue.ControlReserve;

        Assert.True(queue.TryEnqueueFrame(writer, frame, frameBytes));
        Assert.True(queue.TryEnqueueFrame(writer, frame, frameBytes));
        Assert.True(queue.TryEnqueueFrame(writer, frame, frameBytes));
        Assert.False(queue.TryEnqueueFrame(writer, frame, frameBytes)); // would eat the reserve

        // RTCP and responses still fit in the reserve.
        Assert.True(queue.TryEnqueue(new byte[1000]));
        Assert.Equal((3 * frameBytes) + 1000, queue.Bytes);
    }

    [Fact]
    public void Droppable_bytes_past_the_bound_are_refused()
    {
        var queue = new OutgoingQueue(Limit, EdgeParts.Metrics());

        Assert.True(queue.TryEnqueue(new byte[Limit - 10]));
        Assert.False(queue.TryEnqueue(new byte[11]));
        Assert.True(queue.TryEnqueue(new byte[10]));
        Assert.Equal(Limit, queue.Bytes);
    }

    [Fact]
    public async Task A_response_waits_for_room_and_goes_once_the_writer_takes_something()
    {
        var queue = new OutgoingQueue(Limit, EdgeParts.Metrics());
        Assert.True(queue.TryEnqueue(new byte[Limit - 100]));

        var response = queue.EnqueueAsync(new byte[200], TestContext.Current.CancellationToken).AsTask();
        Assert.False(response.IsCompleted);

        Assert.True(queue.Reader.TryRead(out var first));
        queue.Release(first);

        await response.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(200, queue.Bytes);
    }

    [Fact]
    public async Task A_waiting_response_ends_when_the_connection_closes()
    {
        var queue = new OutgoingQueue(Limit, EdgeParts.Metrics());
        Assert.True(queue.TryEnqueue(new byte[Limit]));
        using var closed = new CancellationTokenSource();

        var response = queue.EnqueueAsync(new byte[200], closed.Token).AsTask();
        await closed.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => response);
        Assert.Equal(Limit, queue.Bytes);
    }

    private sealed class NullWriter : IInterleavedFrameWriter
    {
        public void Gather(SharedFrame frame, List<ArraySegment<byte>> segments, ref byte[] scratch)
        {
        }

        public void Done(SharedFrame frame, bool sent)
        {
        }
    }
}
