using Grpc.Core;
using Grpc.Net.Client;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Hosting;
using GrpcStream.Protos.Origin.V1;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace GrpcStream.Edge.OriginLink;

/// <summary>The origin could not be reached (or answered with a server-side failure).</summary>
internal sealed class OriginUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The origin has no stream of that name.</summary>
internal sealed class StreamNotFoundException(string stream) : Exception($"The origin has no stream '{stream}'.");

public enum OriginLinkState
{
    /// <summary>No stream is being watched.</summary>
    Idle,

    /// <summary>Every watched stream is receiving frames.</summary>
    Connected,

    /// <summary>At least one watched stream is waiting to reconnect.</summary>
    Reconnecting,
}

/// <summary>
/// The edge's connection to the origin. gRPC's own retry policy does not cover a server stream that has
/// started, so watching a stream runs inside a Polly pipeline: exponential backoff with jitter and no retry
/// limit, behind a circuit breaker so that a dead origin is not hammered. Each reconnect asks for the frames
/// after the last sequence number seen.
/// </summary>
internal sealed class OriginLink : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly MediaOrigin.MediaOriginClient _client;
    private readonly CallInvoker _invoker;
    private readonly MediaOrigin.MediaOriginClient _publisher;
    private readonly OriginSettings _settings;
    private readonly EdgeMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<OriginLink> _logger;

    // Watched streams without frames at the moment (not yet connected, or reconnecting), with the last reason.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _disconnected = new(StringComparer.Ordinal);

    // When each stream stopped receiving, for the reconnect-duration histogram.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _outageStarted = new(StringComparer.Ordinal);
    private int _watching;
    private int _reconnecting;

    public OriginLink(IOptions<EdgeOptions> options, TimeProvider time, EdgeMetrics metrics, ILogger<OriginLink> logger)
    {
        _settings = options.Value.Origin;
        _time = time;
        _metrics = metrics;
        metrics.ObserveOriginLink(() => Volatile.Read(ref _reconnecting));
        _logger = logger;
        _channel = OriginChannel.Create(_settings, time, logger);
        _invoker = OriginChannel.Invoker(_channel, _settings);
        _client = new MediaOrigin.MediaOriginClient(_invoker);
        _publisher = new MediaOrigin.MediaOriginClient(OriginChannel.Invoker(_channel, _settings.PublishToken));
    }

    /// <summary>Starts publishing <paramref name="name"/> into the origin, with the publish token (<c>Edge:Origin:PublishToken</c>).</summary>
    public Publishing.OriginPublication Publish(string name, double frameRate, int maxQueuedFrames, TimeSpan closeTimeout, Action onDropped) =>
        new(_publisher, name, frameRate, maxQueuedFrames, closeTimeout, onDropped);

    public string Address => _settings.Address;

    public OriginLinkState State =>
        Volatile.Read(ref _reconnecting) > 0 ? OriginLinkState.Reconnecting
        : Volatile.Read(ref _watching) > 0 ? OriginLinkState.Connected
        : OriginLinkState.Idle;

    /// <summary>The stream's description, waiting at most <see cref="OriginSettings.DescribeTimeout"/>.</summary>
    /// <exception cref="StreamNotFoundException">No such stream.</exception>
    /// <exception cref="OriginUnavailableException">The origin did not answer in time.</exception>
    public async Task<StreamDescription> DescribeAsync(string name, CancellationToken cancellationToken)
    {
        using var activity = EdgeActivities.Source.StartActivity(EdgeActivities.Describe, System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("grpcstream.stream", name);
        using var timeout = new CancellationTokenSource(_settings.DescribeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var description = await _client.DescribeStreamAsync(new DescribeStreamRequest { Name = name }, cancellationToken: linked.Token).ConfigureAwait(false);
            LastCallFailure = null;
            return description;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            LastCallFailure = null;
            activity.Failed("not found");
            throw new StreamNotFoundException(name);
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            var reason = Describe(ex);
            if (LastCallFailure != reason)
            {
                EdgeLog.OriginCallFailed(_logger, name, reason);
            }

            LastCallFailure = reason;
            activity.Failed(reason);
            throw new OriginUnavailableException($"origin {Address} did not answer: {reason}", ex);
        }
    }

    /// <summary>Why the last DESCRIBE to the origin failed (a refused certificate, a wrong token); null after one succeeds.</summary>
    public string? LastCallFailure { get; private set; }

    /// <summary>The origin's streams, waiting at most <see cref="OriginSettings.DescribeTimeout"/>.</summary>
    /// <exception cref="OriginUnavailableException">The origin did not answer in time, or refused.</exception>
    public async Task<IReadOnlyList<StreamDescription>> ListStreamsAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_settings.DescribeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return (await _client.ListStreamsAsync(new ListStreamsRequest(), cancellationToken: linked.Token).ConfigureAwait(false)).Streams;
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            throw new OriginUnavailableException($"origin {Address} did not answer: {Describe(ex)}", ex);
        }
    }

    /// <summary>
    /// Delivers the stream's frames to <paramref name="onFrame"/> until cancelled, reconnecting as long as it
    /// takes, whatever went wrong: it ends only on cancellation. The frame handed over is valid during the call only:
    /// the next frame is read into it.
    /// </summary>
    public async Task WatchAsync(string name, Action<OriginFrame> onFrame, CancellationToken cancellationToken)
    {
        ulong? lastSequence = null;
        var watchFrames = OriginFrame.WatchFramesMethod(new OriginFrame());
        var pipeline = WatchPipeline(name);
        Interlocked.Increment(ref _watching);
        NotReceiving(name, "connecting");

        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // One pipeline execution per connection: a stream that delivered frames and then broke starts the
                // backoff afresh instead of continuing the previous outage's.
                var delivered = await pipeline.ExecuteAsync(
                    async token =>
                    {
                        var gotFrames = false;
                        var connecting = EdgeActivities.Source.StartActivity(EdgeActivities.Connect, System.Diagnostics.ActivityKind.Client);
                        connecting?.SetTag("grpcstream.stream", name);
                        try
                        {
                            var request = new WatchFramesRequest { Name = name };
                            if (lastSequence is { } last)
                            {
                                request.ResumeAfterSequence = last;
                                connecting?.SetTag("grpcstream.resume_after", last);
                            }

                            using var call = _invoker.AsyncServerStreamingCall(watchFrames, null, new CallOptions(cancellationToken: token), request);
                            await foreach (var frame in call.ResponseStream.ReadAllAsync(token))
                            {
                                if (!gotFrames)
                                {
                                    gotFrames = true;
                                    connecting?.Dispose();
                                    connecting = null;
                                    Connected(name, lastSequence);
                                }

                                lastSequence = frame.Sequence;
                                onFrame(frame);
                            }

                            throw new OriginUnavailableException("the origin ended the stream");
                        }
                        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
                        {
                            throw new StreamNotFoundException(name);
                        }
                        catch (Exception ex) when (gotFrames && !token.IsCancellationRequested && ex is not OperationCanceledException)
                        {
                            Disconnected(name, Describe(ex));
                            return true;
                        }
                        finally
                        {
                            // Still open: the connection failed before its first frame (the pipeline retries it).
                            connecting.Failed("no frame arrived");
                            connecting?.Dispose();
                        }
                    },
                    cancellationToken);
                if (!delivered)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Nobody watches any more.
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            // Same, reported by gRPC.
        }
        finally
        {
            Interlocked.Decrement(ref _watching);
            if (_disconnected.TryRemove(name, out _))
            {
                Interlocked.Decrement(ref _reconnecting);
            }

            _outageStarted.TryRemove(name, out _); // nobody watches: the outage ends unmeasured
        }
    }

    private void Connected(string name, ulong? resumedAfter)
    {
        if (_disconnected.TryRemove(name, out _))
        {
            Interlocked.Decrement(ref _reconnecting);
        }

        // The first connection of a watch is not a reconnect: only a stream that had frames before is measured.
        if (_outageStarted.TryRemove(name, out var since) && resumedAfter is not null)
        {
            _metrics.OriginReconnected(_time.GetElapsedTime(since));
        }

        EdgeLog.OriginConnected(_logger, name, resumedAfter?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none");
    }

    private void NotReceiving(string name, string reason)
    {
        if (_disconnected.TryAdd(name, reason))
        {
            Interlocked.Increment(ref _reconnecting);
            _outageStarted.TryAdd(name, _time.GetTimestamp());
        }
        else
        {
            _disconnected[name] = reason;
        }
    }

    private void Disconnected(string name, string reason)
    {
        NotReceiving(name, reason);
        _metrics.OriginOutage();
        EdgeLog.OriginLost(_logger, name, reason);
    }

    /// <summary>
    /// One stream's resilience: its own circuit breaker (one bad stream does not hold back the others) inside a
    /// retry that never gives up while the stream is watched. Whatever fails is retried: outages with exponential
    /// backoff and jitter; answers that will not change soon (no such stream, refused, not a gRPC origin at that
    /// address) at the longest delay, so a misconfiguration is not hammered but is recovered from once fixed.
    /// </summary>
    private ResiliencePipeline WatchPipeline(string name) => new ResiliencePipelineBuilder { TimeProvider = _time }
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && !args.Context.CancellationToken.IsCancellationRequested && ex is not OperationCanceledException),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _settings.RetryBaseDelay,
            MaxDelay = _settings.RetryMaxDelay,
            MaxRetryAttempts = int.MaxValue,
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(IsOutage(args.Outcome.Exception) ? null : _settings.RetryMaxDelay),
            OnRetry = args =>
            {
                var reason = Describe(args.Outcome.Exception);
                _metrics.OriginReconnect();
                NotReceiving(name, reason);
                EdgeLog.OriginRetry(_logger, name, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, reason);
                return ValueTask.CompletedTask;
            },
        })
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(IsOutage(args.Outcome.Exception) && args.Outcome.Exception is not BrokenCircuitException),
            FailureRatio = 1.0,
            MinimumThroughput = 5,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = _settings.BreakDuration,
            OnOpened = args =>
            {
                _metrics.CircuitChanged(open: true);
                EdgeLog.CircuitOpened(_logger, name, args.BreakDuration.TotalSeconds);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                _metrics.CircuitChanged(open: false);
                EdgeLog.CircuitClosed(_logger, name);
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    /// <summary>An outage, which backoff rides out, as opposed to an answer that will not change soon.</summary>
    private static bool IsOutage(Exception? exception) => exception switch
    {
        // A certificate refused (wrong CA, expired, none presented) does not fix itself within seconds.
        _ when OriginChannel.TlsFailure(exception) is not null => false,
        RpcException ex => IsTransient(ex),
        OriginUnavailableException or BrokenCircuitException or IOException or HttpRequestException => true,
        _ => false,
    };

    private static string Describe(Exception? exception) => exception switch
    {
        null => "the stream ended",
        _ when OriginChannel.TlsFailure(exception) is { } tls => tls,
        RpcException { StatusCode: StatusCode.Unauthenticated or StatusCode.PermissionDenied } ex => $"the origin refused the edge's credentials ({ex.Status.StatusCode}: {ex.Status.Detail}; see Edge:Origin:Token and Edge:Origin:ClientCertificatePath)",
        StreamNotFoundException ex => ex.Message,
        RpcException { StatusCode: StatusCode.Unimplemented } ex => $"the origin's address does not answer as a media origin ({ex.Status.StatusCode}: {ex.Status.Detail})",
        RpcException ex => $"{ex.Status.StatusCode}: {ex.Status.Detail}",
        BrokenCircuitException => "circuit open after repeated failures",
        _ => exception.Message,
    };

    /// <summary>The watched streams that are not receiving frames, and why.</summary>
    public IReadOnlyDictionary<string, string> Problems => _disconnected.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>Whether a watched stream is receiving frames now.</summary>
    public bool IsReceiving(string name) => !_disconnected.ContainsKey(name);

    private static bool IsTransient(RpcException ex) =>
        ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Aborted
            or StatusCode.Unknown or StatusCode.ResourceExhausted;

    public void Dispose() => _channel.Dispose();
}
