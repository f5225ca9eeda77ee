using System.Diagnostics;
using Grpc.Core;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Protos.Origin.V1;
using Polly;
using Polly.Retry;

namespace GrpcStream.Edge.Origin;

/// <summary>
/// One stream watched at the origins. It is taken from the first origin (in the configured order) that is up and
/// has it; when that origin fails it moves to the next, asking for the frames after the last sequence number it
/// saw, so that a file stream goes on without a gap (every origin numbers frames on the same epoch-anchored clock)
/// and a live stream goes on once its publisher has moved too. It returns to a more preferred origin only once that
/// one has been healthy for <see cref="OriginSettings.FailbackAfter"/> and has the stream, and only between two
/// frames, resuming after the last one: origins do not flap, and a move back loses nothing.
/// </summary>
internal sealed class OriginWatch
{
    private readonly OriginLink _link;
    private readonly OriginServer[] _servers;
    private readonly OriginSettings _settings;
    private readonly TimeProvider _time;
    private readonly EdgeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly Action<OriginFrame> _onFrame;

    // The frame object the marshaller reads every message of this watch into.
    private readonly Method<WatchFramesRequest, OriginFrame> _watchFrames = OriginFrame.WatchFramesMethod(new OriginFrame());
    private ulong? _lastSequence;
    // The origin frames came from last: a connection to another is a move, counted and logged.
    private OriginServer? _source;
    private int _nextStart;
    private string? _leftBecause;
    private bool _failingBack;
    private int _failbackTo = -1;
    private long _lastFailbackCheck;
    private Task _failbackCheck = Task.CompletedTask;

    public OriginWatch(OriginLink link, OriginServer[] servers, OriginSettings settings, TimeProvider time, EdgeMetrics metrics, ILogger logger, string name, Action<OriginFrame> onFrame)
    {
        (_link, _servers, _settings, _time, _metrics, _logger, _name, _onFrame) = (link, servers, settings, time, metrics, logger, name, onFrame);
        _lastFailbackCheck = time.GetTimestamp();
    }

    /// <summary>Runs until cancelled: whatever fails is retried, on every origin, for as long as it takes.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var rounds = RoundPipeline();
        while (!cancellationToken.IsCancellationRequested)
        {
            // One pipeline execution per origin that delivered: a stream that had frames and then lost them starts
            // the backoff afresh (on the next origin at once) instead of continuing the previous outage's.
            await rounds.ExecuteAsync(RoundAsync, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Tries each origin once, the up ones first, starting where the last one left off, until one delivers frames;
    /// returns when that one stops (lost, or left for a preferred one). Throws when none delivered.
    /// </summary>
    private async ValueTask RoundAsync(CancellationToken cancellationToken)
    {
        var start = _nextStart;
        _nextStart = 0; // after a failed round: from the preferred origin again
        List<(OriginServer Server, Exception Error)> failures = [];
        foreach (var server in _link.InOrder(start))
        {
            try
            {
                _nextStart = await WatchFromAsync(server, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Not found there, not reachable, its circuit open: the next origin, without waiting.
                failures.Add((server, ex));
            }
        }

        throw NoOriginException.From(failures);
    }

    /// <summary>Watches the stream at <paramref name="server"/> until it stops; returns the origin to try next.</summary>
    private async Task<int> WatchFromAsync(OriginServer server, CancellationToken cancellationToken)
    {
        var request = new WatchFramesRequest { Name = _name };
        using var connecting = EdgeActivities.Source.StartActivity(EdgeActivities.Connect, ActivityKind.Client);
        connecting?.SetTag("grpcstream.stream", _name);
        connecting?.SetTag("grpcstream.origin", server.Address);
        if (_lastSequence is { } last)
        {
            request.ResumeAfterSequence = last;
            connecting?.SetTag("grpcstream.resume_after", last);
        }

        AsyncServerStreamingCall<OriginFrame> call;
        try
        {
            // Connecting is over with the first frame: only that much runs under the origin's circuit breaker.
            call = await server.Connecting.ExecuteAsync(
                async token =>
                {
                    var attempt = server.Invoker.AsyncServerStreamingCall(_watchFrames, null, new CallOptions(cancellationToken: cancellationToken), request);
                    try
                    {
                        return await attempt.ResponseStream.MoveNext(token).ConfigureAwait(false)
                            ? attempt
                            : throw new OriginUnavailableException("the origin ended the stream before its first frame");
                    }
                    catch
                    {
                        attempt.Dispose();
                        throw;
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            server.Answered();
            connecting.Failed("not found");
            throw new StreamNotFoundException(_name);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            if (ex is not Polly.CircuitBreaker.BrokenCircuitException)
            {
                server.Observe(ex);
            }

            connecting.Failed(OriginLink.Describe(ex));
            throw;
        }

        using (call)
        {
            server.Answered();
            connecting?.Dispose();
            Connected(server);
            try
            {
                do
                {
                    var frame = call.ResponseStream.Current;
                    _lastSequence = frame.Sequence;
                    _onFrame(frame);
                    if (FailbackDue(server) is { } preferred)
                    {
                        return preferred; // between two frames: the preferred origin resumes after this one
                    }
                }
                while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false));

                throw new OriginUnavailableException("the origin ended the stream");
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Lost while delivering: the next origin is asked at once.
                if (OriginServer.IsOutage(ex))
                {
                    server.Failed();
                }

                _leftBecause = OriginLink.Describe(ex);
                _link.Lost(_name, _leftBecause);
                return (server.Preference + 1) % _servers.Length;
            }
        }
    }

    private void Connected(OriginServer server)
    {
        if (_source is { } previous && previous != server)
        {
            _metrics.OriginSwitched(previous.Address, server.Address, _failingBack);
            EdgeLog.OriginSwitched(_logger, _name, previous.Address, server.Address, _failingBack ? "the preferred origin is healthy again" : _leftBecause ?? "it failed");
        }

        _source = server;
        _failingBack = false;
        _link.Receiving(_name, server, _lastSequence);
    }

    /// <summary>
    /// The preferred origin to move to now, if there is one: a more preferred origin that has been healthy for
    /// <see cref="OriginSettings.FailbackAfter"/> and answered that it has the stream. The question is asked in the
    /// background (at most every quarter of that time) so that frames never wait for it.
    /// </summary>
    private int? FailbackDue(OriginServer current)
    {
        if (current.Preference == 0)
        {
            return null;
        }

        var answer = Interlocked.Exchange(ref _failbackTo, -1);
        if (answer >= 0 && answer < current.Preference)
        {
            _failingBack = true;
            _leftBecause = null;
            return answer;
        }

        if (!_failbackCheck.IsCompleted || _time.GetElapsedTime(_lastFailbackCheck) < _settings.FailbackAfter / 4)
        {
            return null;
        }

        _lastFailbackCheck = _time.GetTimestamp();
        var candidate = _servers.Take(current.Preference).FirstOrDefault(s => s.HealthyFor(_settings.FailbackAfter));
        if (candidate is not null)
        {
            _failbackCheck = AskAsync(candidate);
        }

        return null;
    }

    private async Task AskAsync(OriginServer candidate)
    {
        try
        {
            await _link.DescribeAtAsync(candidate, _name, CancellationToken.None).ConfigureAwait(false);
            Volatile.Write(ref _failbackTo, candidate.Preference);
        }
#pragma warning disable CA1031 // Not there, or not answering: the stream stays where it is, and the question is asked again later.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>
    /// Between rounds that found no origin delivering: exponential backoff with jitter and no retry limit, for as
    /// long as the stream is watched; answers that will not change soon (no such stream anywhere, credentials
    /// refused, not a gRPC origin at the address) at the longest delay, so a misconfiguration is not hammered but is
    /// recovered from once fixed.
    /// </summary>
    private ResiliencePipeline RoundPipeline() => new ResiliencePipelineBuilder { TimeProvider = _time }
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _settings.RetryBaseDelay,
            MaxDelay = _settings.RetryMaxDelay,
            MaxRetryAttempts = int.MaxValue,
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(OriginServer.IsOutage(args.Outcome.Exception) ? null : _settings.RetryMaxDelay),
            OnRetry = args =>
            {
                var reason = OriginLink.Describe(args.Outcome.Exception);
                _metrics.OriginReconnect();
                _link.NotReceiving(_name, reason);
                EdgeLog.OriginRetry(_logger, _name, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, reason);
                return ValueTask.CompletedTask;
            },
        })
        .Build();
}
