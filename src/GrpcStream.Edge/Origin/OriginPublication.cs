using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Shared;
using Polly;
using Polly.Retry;

namespace GrpcStream.Edge.Origin;

/// <summary>
/// One published stream on its way to the origins: a PublishFrames call fed from a small queue of whole frames, so
/// that the connection reading the publisher's RTP never waits on an origin. A queue that fills (the origin or the
/// link slower than the publisher, or no origin at all for a while) loses its oldest frame, counted. It goes to the
/// first origin that takes it and fails over like watching does: when that origin is lost, the stream is published
/// to the next, starting with the frame that did not get through, and watchers find it there. Made by
/// <see cref="OriginPublisher"/>; nothing is sent before <see cref="Start"/>.
/// </summary>
internal sealed class OriginPublication : IPublication
{
    private readonly OriginLink _link;
    private readonly OriginSettings _settings;
    private readonly EdgeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<QueuedFrame> _frames;
    private readonly TaskCompletionSource<Status?> _verdict = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _closeTimeout;
    private readonly PublishStart _start;
    private readonly ResiliencePipeline _rounds;
    private Task _running = Task.CompletedTask;
    private StrongBox<Status>? _failure;
    private string? _lastOrigin;
    private int _nextStart;

    // The frame being written when an origin was lost: the next origin gets it first.
    private QueuedFrame? _pending;

    /// <param name="link">The origins, in order of preference, each with its channel and breaker.</param>
    /// <param name="settings">Timeouts and retry delays.</param>
    /// <param name="metrics">Where origin switches are counted.</param>
    /// <param name="logger">The publication's log.</param>
    /// <param name="time">The clock.</param>
    /// <param name="name">The stream published.</param>
    /// <param name="frameRate">Its frame rate, for the origin's clock.</param>
    /// <param name="maxQueuedFrames">How many frames wait for the origin before the oldest is dropped.</param>
    /// <param name="closeTimeout">How long the last frames may take to reach the origin when the publisher leaves.</param>
    /// <param name="onDropped">Told of each frame dropped from a full queue.</param>
    public OriginPublication(
        OriginLink link, OriginSettings settings, EdgeMetrics metrics, ILogger logger, TimeProvider time, string name, double frameRate, int maxQueuedFrames, TimeSpan closeTimeout, Action onDropped)
    {
        (_link, _settings, _metrics, _logger, _time, _closeTimeout) = (link, settings, metrics, logger, time, closeTimeout);
        _start = new PublishStart { Name = name, FrameRate = frameRate };
        _frames = Channel.CreateBounded<QueuedFrame>(
            new BoundedChannelOptions(maxQueuedFrames) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped =>
            {
                dropped.Return();
                onDropped();
            });
        _rounds = RoundPipeline();
    }

    /// <summary>Why the publication ended (a refusal), once it has; null while it goes on, or waits for an origin.</summary>
    public Status? Failure => Volatile.Read(ref _failure)?.Value;

    /// <summary>The origin the stream goes to now; null while it has none.</summary>
    public string? Origin { get; private set; }

    /// <summary>Starts publishing: the first origin that takes the stream gets it, and every frame after.</summary>
    public void Start() => _running = RunAsync();

    /// <summary>Waits until an origin has accepted the stream (its response headers) and returns null, or returns why none did.</summary>
    public Task<Status?> AcceptedAsync(CancellationToken cancellationToken) => _verdict.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Queues a frame, copied into a pooled buffer (the depacketizer reuses its own, and the publisher's frames must
    /// not allocate one each); false once the publication has ended.
    /// </summary>
    public bool Offer(ReadOnlySpan<byte> jpeg)
    {
        if (Failure is not null)
        {
            return false;
        }

        var frame = QueuedFrame.CopyOf(jpeg);
        if (_frames.Writer.TryWrite(frame))
        {
            return true;
        }

        frame.Return();
        return false;
    }

    /// <summary>
    /// Rounds over the origins until the publisher leaves or an origin refuses: a round that found one and lost it
    /// starts the next at once with the origin after it; a round that found none waits (Polly: exponential backoff
    /// with jitter, no limit) while the publication has been accepted before, and ends it when it never was.
    /// </summary>
    private async Task RunAsync()
    {
        try
        {
            while (!await _rounds.ExecuteAsync(RoundAsync, _stop.Token).ConfigureAwait(false))
            {
                // Taken and then lost: the next origin, at once, and the backoff starts again.
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed while waiting for an origin.
        }
        finally
        {
            _verdict.TrySetResult(new Status(StatusCode.Cancelled, "the publisher left"));
            _pending?.Return();
            _pending = null;
        }
    }

    /// <summary>
    /// Tries each origin once, starting after the last one lost: true when the publication is over (the queue
    /// completed, or a refusal), false when an origin took the stream and was then lost. Throws
    /// <see cref="NoOriginTookItException"/> when none took it.
    /// </summary>
    private async ValueTask<bool> RoundAsync(CancellationToken cancellationToken)
    {
        var start = _nextStart;
        _nextStart = 0; // after a round that found none: from the preferred origin again
        List<Status> failures = [];
        foreach (var server in _link.InOrder(start))
        {
            var (done, failure) = await PublishToAsync(server).ConfigureAwait(false);
            if (done)
            {
                return true;
            }

            if (failure is null)
            {
                _nextStart = (server.Preference + 1) % _link.Servers.Count;
                return false;
            }

            failures.Add(failure.Value);
        }

        var status = new Status(StatusCode.Unavailable, string.Join("; ", failures.Select(f => f.Detail)));
        if (_verdict.TrySetResult(status))
        {
            End(status); // never accepted: the publisher is told now (503)
            return true;
        }

        // Accepted before, and no origin takes it now: frames queue (the oldest dropped) until one does.
        throw new NoOriginTookItException(status.Detail);
    }

    private ResiliencePipeline RoundPipeline() => new ResiliencePipelineBuilder { TimeProvider = _time }
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<NoOriginTookItException>(),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _settings.RetryBaseDelay,
            MaxDelay = _settings.RetryMaxDelay,
            MaxRetryAttempts = int.MaxValue,
        })
        .Build();

    /// <summary>No origin took the stream in a round, after one had accepted it before: the round is tried again later.</summary>
    private sealed class NoOriginTookItException(string message) : Exception(message);

    /// <summary>A frame copied into a pooled buffer, given back once it was sent or dropped.</summary>
    private sealed class QueuedFrame(byte[] buffer, int length)
    {
        public static QueuedFrame CopyOf(ReadOnlySpan<byte> jpeg)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(jpeg.Length);
            jpeg.CopyTo(buffer);
            return new QueuedFrame(buffer, jpeg.Length);
        }

        /// <summary>The frame as a message; valid until <see cref="Return"/> (gRPC has serialized it once its write completes).</summary>
        public PublishRequest Message => new() { Jpeg = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, length)) };

        public void Return() => ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>
    /// Publishes to <paramref name="server"/> until the queue is completed (done), the origin refuses (done, with
    /// <see cref="Failure"/> set), or it is lost: a null failure when it had accepted the stream, else why not.
    /// </summary>
    private async Task<(bool Done, Status? Failure)> PublishToAsync(OriginServer server)
    {
        using var call = server.Publisher.PublishFrames(cancellationToken: _stop.Token);
        var accepted = false;
        try
        {
            await call.RequestStream.WriteAsync(new PublishRequest { Start = _start }).ConfigureAwait(false);
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
                await call.RequestStream.WriteAsync(pending.Message).ConfigureAwait(false);
                _pending = null;
                pending.Return();
            }

            await foreach (var frame in _frames.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                _pending = frame;
                await call.RequestStream.WriteAsync(frame.Message).ConfigureAwait(false);
                _pending = null;
                frame.Return();
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
            EdgeLog.PublishOriginLost(_logger, _start.Name, server.Address, why.Detail);
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
            _metrics.OriginSwitched(previous, server.Address, failback: false);
            EdgeLog.OriginSwitched(_logger, _start.Name, previous, server.Address, "its origin was lost while publishing");
        }

        Origin = _lastOrigin = server.Address;
    }

    private void End(Status status)
    {
        Volatile.Write(ref _failure, new StrongBox<Status>(status));
        _frames.Writer.TryComplete();
    }

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

        // Frames no origin took in time go back to the pool.
        while (_frames.Reader.TryRead(out var left))
        {
            left.Return();
        }
    }
}
