using System.Collections.Concurrent;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using GrpcStream.Protos.Origin.V1;

namespace GrpcStream.Edge.Tests.Fakes;

/// <summary>
/// An origin in memory behind a <see cref="CallInvoker"/>: the edge's own gRPC clients and marshallers call it, with
/// no socket. Each WatchFrames call is handed to the test (<see cref="NextWatchAsync"/>), which answers with frames
/// (serialized Frame messages, read by the edge's marshaller) or a failure. DescribeStream and ListStreams answer
/// from the declared streams, or fail as an unreachable origin does while <see cref="Down"/>.
/// </summary>
internal sealed class FakeOriginInvoker(params string[] streams) : CallInvoker
{
    private readonly Channel<FakeWatchCall> _watches = Channel.CreateUnbounded<FakeWatchCall>();
    private readonly ConcurrentBag<FakeWatchCall> _all = [];
    private readonly Channel<string> _described = Channel.CreateUnbounded<string>();
    private int _describes;

    /// <summary>While true, every call fails with Unavailable, as when the origin's process is gone.</summary>
    public bool Down { get; set; }

    public int Describes => Volatile.Read(ref _describes);

    public int WatchCalls => _all.Count;

    /// <summary>The next WatchFrames call the edge makes here, within a deadline.</summary>
    public async Task<FakeWatchCall> NextWatchAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _watches.Reader.ReadAsync(deadline.Token);
    }

    /// <summary>The stream the next DescribeStream call here asks about, within a deadline.</summary>
    public async Task<string> NextDescribeAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _described.Reader.ReadAsync(deadline.Token);
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        var call = new FakeWatchCall((WatchFramesRequest)(object)request, options.CancellationToken);
        _all.Add(call);
        if (Down)
        {
            call.Fail(StatusCode.Unavailable);
        }
        else
        {
            _watches.Writer.TryWrite(call);
        }

        var reader = new Reader<TResponse>(call, bytes => method.ResponseMarshaller.ContextualDeserializer(new Payload(bytes)));
        return new AsyncServerStreamingCall<TResponse>(reader, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], call.Dispose);
    }

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        IMessage answer;
        if (Down)
        {
            return Failed<TResponse>(StatusCode.Unavailable);
        }

        switch (request)
        {
            case DescribeStreamRequest describe:
                Interlocked.Increment(ref _describes);
                _described.Writer.TryWrite(describe.Name);
                if (!streams.Contains(describe.Name))
                {
                    return Failed<TResponse>(StatusCode.NotFound);
                }

                answer = new StreamDescription { Name = describe.Name, FrameRate = 25 };
                break;
            case ListStreamsRequest:
                var list = new ListStreamsResponse();
                list.Streams.AddRange(streams.Select(name => new StreamDescription { Name = name, FrameRate = 25 }));
                answer = list;
                break;
            default:
                throw new NotSupportedException(method.FullName);
        }

        var response = method.ResponseMarshaller.ContextualDeserializer(new Payload(answer.ToByteArray()));
        return new AsyncUnaryCall<TResponse>(Task.FromResult(response), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw new NotSupportedException(method.FullName);

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException(method.FullName);

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException(method.FullName);

    private static AsyncUnaryCall<TResponse> Failed<TResponse>(StatusCode code) =>
        new(Task.FromException<TResponse>(new RpcException(new Status(code, "fake origin"))), Task.FromResult(new Metadata()), () => new Status(code, "fake origin"), () => [], () => { });

    /// <summary>A message's bytes as gRPC hands them to a marshaller.</summary>
    private sealed class Payload(byte[] bytes) : DeserializationContext
    {
        public override int PayloadLength => bytes.Length;

        public override byte[] PayloadAsNewBuffer() => (byte[])bytes.Clone();

        public override System.Buffers.ReadOnlySequence<byte> PayloadAsReadOnlySequence() => new(bytes);
    }

    /// <summary>The edge's side of a call: frames as the edge's marshaller reads them.</summary>
    private sealed class Reader<T>(FakeWatchCall call, Func<byte[], T> read) : IAsyncStreamReader<T>
    {
        public T Current { get; private set; } = default!;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (await call.NextAsync(cancellationToken) is not { } bytes)
            {
                return false;
            }

            Current = read(bytes);
            return true;
        }
    }
}

/// <summary>One WatchFrames call at a <see cref="FakeOriginInvoker"/>, answered by the test.</summary>
internal sealed class FakeWatchCall(WatchFramesRequest request, CancellationToken callCancelled)
{
    private readonly Channel<object> _answers = Channel.CreateUnbounded<object>();
    private readonly Channel<int> _asked = Channel.CreateUnbounded<int>();
    private int _asks;

    public WatchFramesRequest Request { get; } = request;

    /// <summary>The edge is done with the call (it disposed it).</summary>
    public bool Disposed { get; private set; }

    /// <summary>Sends one frame of sequence <paramref name="sequence"/>.</summary>
    public void Send(ulong sequence) =>
        _answers.Writer.TryWrite(new Frame { Sequence = sequence, Pts90Khz = sequence * 3600, Jpeg = ByteString.CopyFrom(1, 2, 3) }.ToByteArray());

    /// <summary>Ends the call with <paramref name="code"/>, as a lost connection or a stopping origin does.</summary>
    public void Fail(StatusCode code) => _answers.Writer.TryWrite(new RpcException(new Status(code, "fake origin")));

    /// <summary>Ends the call normally: the origin ended the stream.</summary>
    public void End() => _answers.Writer.TryComplete();

    public void Dispose() => Disposed = true;

    /// <summary>
    /// Waits (with a deadline) until the edge has asked for a message <paramref name="times"/> times: once to
    /// connect, then once after it has done with each frame, so that what it does with a frame is over.
    /// </summary>
    public async Task AskedAsync(int times)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (Volatile.Read(ref _asks) < times)
        {
            await _asked.Reader.ReadAsync(deadline.Token);
        }
    }

    internal async Task<byte[]?> NextAsync(CancellationToken cancellationToken)
    {
        _asked.Writer.TryWrite(Interlocked.Increment(ref _asks));
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, callCancelled);
        try
        {
            if (!await _answers.Reader.WaitToReadAsync(either.Token))
            {
                return null;
            }
        }
        catch (OperationCanceledException)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "cancelled"));
        }

        _answers.Reader.TryRead(out var answer);
        return answer switch
        {
            byte[] bytes => bytes,
            Exception failure => throw failure,
            _ => null,
        };
    }
}
