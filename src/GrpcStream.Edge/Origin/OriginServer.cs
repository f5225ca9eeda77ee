using Grpc.Core;
using Grpc.Net.Client;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Protos.Origin.V1;
using Polly;
using Polly.CircuitBreaker;

namespace GrpcStream.Edge.Origin;

/// <summary>
/// One origin of <c>Edge:Origin:Addresses</c>: its channel and clients, a circuit breaker shared by every stream
/// that connects to it (so a dead origin is skipped at once by all of them, not discovered by each), and when it
/// last failed, which decides whether streams may move back to it.
/// </summary>
internal sealed class OriginServer : IDisposable
{
    private readonly GrpcChannel? _channel;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly CircuitBreakerManualControl _control = new();
    private readonly TimeProvider _time;

    // Since when the origin has answered (a timestamp), or -1 while it is down: set by every call's outcome.
    private long _upSince;

    public OriginServer(int preference, string address, OriginSettings settings, TimeProvider time, EdgeMetrics metrics, ILogger logger)
        : this(preference, address, OriginChannel.Create(address, settings, time, logger), settings, time, metrics, logger)
    {
    }

    private OriginServer(int preference, string address, GrpcChannel channel, OriginSettings settings, TimeProvider time, EdgeMetrics metrics, ILogger logger)
        : this(preference, address, OriginChannel.Invoker(channel, settings.Token), OriginChannel.Invoker(channel, settings.PublishToken), settings, time, metrics, logger) =>
        _channel = channel;

    /// <summary>An origin reached through the given invokers (a test's in-memory origin): no channel of its own.</summary>
    internal OriginServer(int preference, string address, CallInvoker invoker, CallInvoker publishInvoker, OriginSettings settings, TimeProvider time, EdgeMetrics metrics, ILogger logger)
    {
        Preference = preference;
        Address = address;
        _time = time;
        _upSince = time.GetTimestamp();
        Invoker = invoker;
        Client = new MediaOrigin.MediaOriginClient(Invoker);
        Publisher = new MediaOrigin.MediaOriginClient(publishInvoker);

        // Only connecting is guarded: a watch runs for hours once its first frame is in, and a breaker that
        // waited for it to end would stay half-open (and closed to every other stream) all that time.
        Connecting = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(IsOutage(args.Outcome.Exception)),
                FailureRatio = 1.0,
                MinimumThroughput = 5,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = settings.BreakDuration,
                StateProvider = _circuit,
                ManualControl = _control,
                OnOpened = args =>
                {
                    metrics.CircuitChanged(open: true);
                    EdgeLog.CircuitOpened(logger, address, args.BreakDuration.TotalSeconds);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    metrics.CircuitChanged(open: false);
                    EdgeLog.CircuitClosed(logger, address);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>Its place in the list: 0 is the preferred origin.</summary>
    public int Preference { get; }

    public string Address { get; }

    /// <summary>Calls with the read token.</summary>
    public CallInvoker Invoker { get; }

    public MediaOrigin.MediaOriginClient Client { get; }

    /// <summary>Calls with the publish token.</summary>
    public MediaOrigin.MediaOriginClient Publisher { get; }

    /// <summary>Wraps a connection attempt: fails fast (<see cref="BrokenCircuitException"/>) while the origin is known to be down.</summary>
    public ResiliencePipeline Connecting { get; }

    /// <summary>"closed" (in use), "open" (skipped after repeated failures) or "half-open" (one attempt allowed).</summary>
    public string Circuit => _circuit.CircuitState switch
    {
        CircuitState.Closed => "closed",
        CircuitState.HalfOpen => "half-open",
        _ => "open",
    };

    /// <summary>False from a failure (a connection lost or refused) until a call succeeds again.</summary>
    public bool IsUp => Interlocked.Read(ref _upSince) >= 0;

    /// <summary>Notes an outage of this origin: a connection lost or refused, no answer in time.</summary>
    public void Failed() => Interlocked.Exchange(ref _upSince, -1);

    /// <summary>
    /// Notes a call it answered. An origin that answers again after being down is tried again at once: its circuit,
    /// opened by the failures, is closed rather than left to wait out its break.
    /// </summary>
    public void Answered()
    {
        if (Interlocked.CompareExchange(ref _upSince, _time.GetTimestamp(), -1) == -1 && _circuit.CircuitState != CircuitState.Closed)
        {
            _ = _control.CloseAsync();
        }
    }

    /// <summary>True when the circuit is closed and the origin has answered, without an outage, for at least <paramref name="period"/>.</summary>
    public bool HealthyFor(TimeSpan period)
    {
        var since = Interlocked.Read(ref _upSince);
        return since >= 0 && _circuit.CircuitState == CircuitState.Closed && _time.GetElapsedTime(since) >= period;
    }

    /// <summary>Notes the outcome of a call: an outage marks the origin down, an answer (even a refusal) up.</summary>
    public void Observe(Exception? failure)
    {
        if (failure is null || !IsOutage(failure))
        {
            Answered();
        }
        else
        {
            Failed();
        }
    }

    /// <summary>An outage, which backoff rides out, as opposed to an answer that will not change soon.</summary>
    public static bool IsOutage(Exception? exception) => exception switch
    {
        // A certificate refused (wrong CA, expired, none presented) does not fix itself within seconds.
        _ when OriginChannel.TlsFailure(exception) is not null => false,
        RpcException ex => ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Aborted
            or StatusCode.Unknown or StatusCode.ResourceExhausted,
        NoOriginException ex => ex.Outage,
        OriginUnavailableException or BrokenCircuitException or IOException or HttpRequestException => true,
        _ => false,
    };

    public void Dispose() => _channel?.Dispose();
}
