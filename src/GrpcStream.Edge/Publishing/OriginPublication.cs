using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using GrpcStream.Protos.Origin.V1;

namespace GrpcStream.Edge.Publishing;

/// <summary>
/// One published stream on its way to the origin: a PublishFrames call fed from a small queue of whole frames, so
/// that the connection reading the publisher's RTP never waits on the origin. A queue that fills (the origin or the
/// link slower than the publisher) loses its oldest frame, counted.
/// </summary>
internal sealed class OriginPublication : IAsyncDisposable
{
    /// <summary>The origin's response header for a stream it accepted (see origin.proto, PublishFrames).</summary>
    private const string AcceptedHeader = "grpcstream-publish-accepted";

    private readonly AsyncClientStreamingCall<PublishRequest, PublishSummary> _call;
    private readonly Channel<byte[]> _frames;
    private readonly Task _writing;
    private readonly TimeSpan _closeTimeout;
    private StrongBox<Status>? _failure;

    public OriginPublication(MediaOrigin.MediaOriginClient client, string name, double frameRate, int maxQueuedFrames, TimeSpan closeTimeout, Action onDropped)
    {
        _closeTimeout = closeTimeout;
        _call = client.PublishFrames();
        _frames = Channel.CreateBounded<byte[]>(
            new BoundedChannelOptions(maxQueuedFrames) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => onDropped());
        _writing = WriteAsync(new PublishStart { Name = name, FrameRate = frameRate });
    }

    /// <summary>Why the origin ended the call, once it has; null while it goes on.</summary>
    public Status? Failure => Volatile.Read(ref _failure)?.Value ?? (_call.ResponseAsync.IsFaulted ? Faulted() : null);

    /// <summary>
    /// Waits until the origin has accepted the stream (its response headers) and returns null, or returns why it
    /// refused; after <paramref name="timeout"/>, UNAVAILABLE.
    /// </summary>
    public async Task<Status?> AcceptedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var headers = await _call.ResponseHeadersAsync.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            if (headers.Get(AcceptedHeader) is not null)
            {
                return null;
            }

            // A trailers-only answer: the call ended before it began, and its status is the refusal.
            await _call.ResponseAsync.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return new Status(StatusCode.Unknown, "the origin ended the publish call without accepting it");
        }
        catch (RpcException ex)
        {
            return ex.Status;
        }
        catch (TimeoutException)
        {
            return new Status(StatusCode.Unavailable, $"the origin did not accept the stream within {timeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>Queues a frame (copied: the depacketizer reuses its buffer); false once the call has ended.</summary>
    public bool Offer(ReadOnlySpan<byte> jpeg) => Failure is null && _frames.Writer.TryWrite(jpeg.ToArray());

    private async Task WriteAsync(PublishStart start)
    {
        try
        {
            await _call.RequestStream.WriteAsync(new PublishRequest { Start = start }).ConfigureAwait(false);
            await foreach (var frame in _frames.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                await _call.RequestStream.WriteAsync(new PublishRequest { Jpeg = UnsafeByteOperations.UnsafeWrap(frame) }).ConfigureAwait(false);
            }

            await _call.RequestStream.CompleteAsync().ConfigureAwait(false);
            await _call.ResponseAsync.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException)
        {
            // The origin ended the call (a refusal, or it went away): its status says why.
            Volatile.Write(ref _failure, new StrongBox<Status>(_call.ResponseAsync.IsFaulted ? Faulted() : (ex as RpcException)?.Status ?? new Status(StatusCode.Unavailable, ex.Message)));
            _frames.Writer.TryComplete();
        }
    }

    private Status Faulted() => _call.ResponseAsync.Exception?.InnerException is RpcException rpc ? rpc.Status : new Status(StatusCode.Unknown, "the publish call failed");

    /// <summary>Ends the stream: what is queued is sent, then the origin is told the publisher left.</summary>
    public async ValueTask DisposeAsync()
    {
        _frames.Writer.TryComplete();
        try
        {
            await _writing.WaitAsync(_closeTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // An origin that does not take the last frames in time: the call is cancelled below.
        }

        _call.Dispose();
    }
}
