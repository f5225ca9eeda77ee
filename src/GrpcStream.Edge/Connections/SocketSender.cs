using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using GrpcStream.Edge.Native;

namespace GrpcStream.Edge.Connections;

/// <summary>
/// A connection's reusable gathered send. What the kernel takes at once goes through <see cref="GatheredSend"/>,
/// which allocates nothing; the rest (a reader whose socket buffer is full) through one reused
/// <see cref="SocketAsyncEventArgs"/> awaited as a <see cref="ValueTask{TResult}"/>, which waits for room.
/// <see cref="Socket.SendAsync(IList{ArraySegment{byte}}, SocketFlags)"/> would return a new
/// <see cref="Task{TResult}"/> per call and pin through a new array. One send at a time.
/// </summary>
internal sealed class SocketSender : SocketAsyncEventArgs, IValueTaskSource<int>
{
    private ManualResetValueTaskSourceCore<int> _source = new() { RunContinuationsAsynchronously = false };

    public SocketSender()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
    }

    /// <summary>Sends every byte of <paramref name="buffers"/>; the list is changed on the way (clear it before reuse).</summary>
    public ValueTask<int> SendAsync(Socket socket, List<ArraySegment<byte>> buffers)
    {
        int sent;
        var total = 0;
        while ((sent = GatheredSend.TrySend(socket, buffers)) > 0)
        {
            total += sent;
            GatheredSend.Advance(buffers, sent);
            if (buffers.Count == 0)
            {
                return new ValueTask<int>(total);
            }
        }

        _source.Reset();
        BufferList = buffers; // copied into the event args' own list, which is reused
        if (socket.SendAsync(this))
        {
            return new ValueTask<int>(this, _source.Version);
        }

        return SocketError == SocketError.Success
            ? new ValueTask<int>(BytesTransferred)
            : ValueTask.FromException<int>(new SocketException((int)SocketError));
    }

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        if (SocketError == SocketError.Success)
        {
            _source.SetResult(BytesTransferred);
        }
        else
        {
            _source.SetException(new SocketException((int)SocketError));
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);
}
