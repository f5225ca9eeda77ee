using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace GrpcStream.Edge.Connections;

/// <summary>
/// A connection's reusable gathered send: one <see cref="SocketAsyncEventArgs"/> awaited as a
/// <see cref="ValueTask{TResult}"/>. <see cref="Socket.SendAsync(IList{ArraySegment{byte}}, SocketFlags)"/> returns a
/// new <see cref="Task{TResult}"/> per call, which for every TCP reader at 30 frames per second is garbage the
/// collector must chase; this keeps the steady state allocation-free. One send at a time.
/// </summary>
internal sealed class SocketSender : SocketAsyncEventArgs, IValueTaskSource<int>
{
    private ManualResetValueTaskSourceCore<int> _source = new() { RunContinuationsAsynchronously = false };

    public SocketSender()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
    }

    public ValueTask<int> SendAsync(Socket socket, IList<ArraySegment<byte>> buffers)
    {
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
