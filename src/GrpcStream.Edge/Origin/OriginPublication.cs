using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using GrpcStream.Edge.Settings;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Shared;

namespace GrpcStream.Edge.Origin;

/// <summary>
/// One published stream on its way to the origins: a PublishFrames call fed from a small queue of whole frames, so
/// that the connection reading the publisher's RTP never waits on an origin. A queue that fills (the origin or the
/// link slower than the publisher, or no origin at all for a while) loses its oldest frame, counted. It goes to the
/// first origin that takes it and fails over like watching does: when that origin is lost, the stream is published
/// to the next, starting with the frame that did not get through, and watchers find it there.
/// </summary>
internal sealed class OriginPublication : IAsyncDisposable
{
    private readonly OriginLink _link;
    private readonly OriginSettings _settings;
    private readonly TimeProvider _time;
    private readonly Channel<byte[]> _frames;
    private readonly TaskCompletionSource<Status?> _verdict = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    private readonly TimeSpan _closeTimeout;
    private readonly string _name;
    private StrongBox<Status>? _failure;
    private string? _lastOrigin;

    // The frame being written when an origin was lost: the next origin gets it first.
    private byte[]? _pending;

    public OriginPublication(OriginLink link, OriginSettings settings, TimeProvider time, string name, double frameRate, int maxQueuedFrames, TimeSpan closeTimeout, Action onDropped)
    {
        (_link, _settings, _time, _closeTimeout, _name) = (link, settings, time, closeTimeout, name);
        _frames = Channel.CreateBounded<byte[]>(
            new BoundedChannelOptions(maxQueuedFrames) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => onDropped());
        _running = RunAsync(new PublishStart { Name = name, FrameRate = frameRate });
    }

    /// <summary>Why the publication ended (a refusal), once it has; null while it goes on, or waits for an origin.</summary>
    public Status? Failure => Volatile.Read(ref _failure)?.Value;

    /// <summary>The origin the stream goes to now; null while it has none.</summary>
    public string? Origin { get; private set; }

    /// <summary>Waits until an origin has accepted the stream (its response headers) and returns null, or returns why none did.</summary>
    public Task<Status?> AcceptedAsync(CancellationToken cancellationToken) => _verdict.Task.WaitAsync(cancellationToken);

    /// <summary>Queues a frame (copied: the depacketizer reuses its buffer); false once the publication has ended.</summary>
    public bool Offer(ReadOnlySpan<byte> jpeg) => Failure is null && _frames.Writer.TryWrite(jpeg.ToArray());

    private async Task RunAsync(PublishStart start)
    {
        var delay = _settings.RetryBaseDelay;
        var next = 0;
        try
        {
            while (true)
            {
                List<Status> failures = [];
                var moved = false;
                foreach (var server in _link.InOrder(next))
                {
                    var (done, failure) = await PublishToAsync(server, start).ConfigureAwait(false);
                    if (done)
                    {
                        return;
                    }

                    if (failure is null)
                    {
                        // It was taken and then lost: the next origin, at once.
                        next = (server.Preference + 1) % _link.Servers.Count;
                        delay = _settings.RetryBaseDelay;
                        moved = true;
                        break;
                    }

                    failures.Add(failure.Value);
                }

                if (moved)
                {
                    continue;
                }

                var status = new Status(StatusCode.Unavailable, string.Join("; ", failures.Select(f => f.Detail)));
                if (_verdict.TrySetResult(status))
                {
                    End(status); // never accepted: the publisher is told now (503)
                    return;
                }

                // Accepted before, and no origin takes it now: frames queue (the oldest dropped) until one does.
                next = 0;
                await Task.Delay(delay, _time, _stop.Token).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _settings.RetryMaxDelay.Ticks));
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed while waiting for an origin.
        }
        finally
        {
            _verdict.TrySetResult(new Status(StatusCode.Cancelled, "the publisher left"));
        }
    }

    /// <summary>
    /// Publishes to <paramref name="server"/> until the queue is completed (done), the origin refuses (done, with
    /// <see cref="Failure"/> set), or it is lost: a null failure when it had accepted the stream, else why not.
    /// </summary>
    private async Task<(bool Done, Status? Failure)> PublishToAsync(OriginServer server, PublishStart start)
    {
        using var call = server.Publisher.PublishFrames(cancellationToken: _stop.Token);
        var accepted = false;
        try
        {
            await call.RequestStream.WriteAsync(new PublishRequest { Start = start }).ConfigureAwait(false);
            var headers = await call.ResponseHeadersAsync.WaitAsync(_settings.DescribeTimeout, _time, _stop.Token).ConfigureAwait(false);
            if (headers.Get(OriginContract.PublishAcceptedHeader) is null)
            {
                // A trailers-only answer: the call ended before it began, and its status is the refusal.
                await call.ResponseAsync.ConfigureAwait(false);
                return Refused(new Status(StatusCode.Unknown, "the origin ended the publish call without accepting it"));
            }

            accepted = true;
            server.Answered();
            Taken(server);
            if (_pending is { } pending)
            {
                await call.RequestStream.WriteAsync(Frame(pending)).ConfigureAwait(false);
                _pending = null;
            }

            await foreach (var frame in _frames.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                _pending = frame;
                await call.RequestStream.WriteAsync(Frame(frame)).ConfigureAwait(false);
                _pending = null;
            }

            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            await call.ResponseAsync.ConfigureAwait(false);
            return (true, null);
        }
        catch (TimeoutException)
        {
            server.Failed();
            return Lost(server, accepted, new Status(StatusCode.Unavailable, $"{server.Address} did not accept the stream within {_settings.DescribeTimeout.TotalSeconds:0.#} s"));
        }
        catch (Exception ex) when (!_stop.IsCancellationRequested && ex is RpcException or InvalidOperationException or IOException)
        {
            var status = StatusOf(call, ex);
            var outage = OriginServer.IsOutage(new RpcException(status));

            // Refusals are final (another publisher, a bad frame, the edge's credentials); an origin at its limits
            // before it took the stream is passed over like one that is down.
            if (!outage || (accepted && status.StatusCode == StatusCode.ResourceExhausted))
            {
                server.Answered();
                return Refused(status);
            }

            if (status.StatusCode != StatusCode.ResourceExhausted)
            {
                server.Failed();
            }

            return Lost(server, accepted, new Status(status.StatusCode, $"{server.Address}: {status.Detail}"));
        }
    }

    private (bool, Status?) Lost(OriginServer server, bool accepted, Status why)
    {
        if (accepted)
        {
            Origin = null;
            Diagnostics.EdgeLog.PublishOriginLost(_link.Logger, _name, server.Address, why.Detail);
        }

        return (false, accepted ? null : why);
    }

    private (bool, Status?) Refused(Status status)
    {
        _verdict.TrySetResult(status);
        End(status);
        return (true, status);
    }

    private void Taken(OriginServer server)
    {
        _verdict.TrySetResult(null);
        if (_lastOrigin is { } previous && previous != server.Address)
        {
            _link.Metrics.OriginSwitched(previous, server.Address, failback: false);
            Diagnostics.EdgeLog.OriginSwitched(_link.Logger, _name, previous, server.Address, "its origin was lost while publishing");
        }

        Origin = _lastOrigin = server.Address;
    }

    private void End(Status status)
    {
        Volatile.Write(ref _failure, new StrongBox<Status>(status));
        _frames.Writer.TryComplete();
    }

    private static PublishRequest Frame(byte[] jpeg) => new() { Jpeg = UnsafeByteOperations.UnsafeWrap(jpeg) };

    private static Status StatusOf(AsyncClientStreamingCall<PublishRequest, PublishSummary> call, Exception ex) => ex switch
    {
        RpcException rpc => rpc.Status,
        _ when call.ResponseAsync.IsFaulted && call.ResponseAsync.Exception?.InnerException is RpcException rpc => rpc.Status,
        _ => new Status(StatusCode.Unavailable, ex.Message),
    };

    /// <summary>Ends the stream: what is queued is sent, then the origin is told the publisher left.</summary>
    public async ValueTask DisposeAsync()
    {
        _frames.Writer.TryComplete();
        try
        {
            await _running.WaitAsync(_closeTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // An origin that does not take the last frames in time, or none to take them: the call is cancelled.
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
