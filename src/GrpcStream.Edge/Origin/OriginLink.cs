using System.Collections.Concurrent;
using Grpc.Core;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Protos.Origin.V1;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace GrpcStream.Edge.Origin;

/// <summary>The origin could not be reached (or answered with a server-side failure).</summary>
internal sealed class OriginUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The origin has no stream of that name.</summary>
internal sealed class StreamNotFoundException(string stream) : Exception($"The origin has no stream '{stream}'.");

/// <summary>Every origin was tried for a stream and none delivered it; <see cref="Outage"/> when one of them is down (rather than answering no).</summary>
internal sealed class NoOriginException(string message, bool outage, Exception first) : Exception(message, first)
{
    public bool Outage { get; } = outage;

    /// <summary>One origin's failure as it was; several as one, each named.</summary>
    public static Exception From(IReadOnlyList<(OriginServer Server, Exception Error)> failures) => failures.Count == 1
        ? failures[0].Error
        : new NoOriginException(
            string.Join("; ", failures.Select(f => $"{f.Server.Address}: {OriginLink.Describe(f.Error)}")),
            failures.Any(f => OriginServer.IsOutage(f.Error)),
            failures[0].Error);
}

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
/// The edge's connections to its origins (<c>Edge:Origin:Addresses</c>, in order of preference). gRPC's own retry
/// policy does not cover a server stream that has started, so each watched stream runs its own loop
/// (<see cref="OriginWatch"/>): Polly backoff with jitter and no retry limit, every origin's connections behind that
/// origin's circuit breaker, failover to the next origin and back. Each reconnect asks for the frames after the last
/// sequence number seen.
/// </summary>
internal sealed class OriginLink : IOriginSource, IDisposable
{
    private readonly OriginServer[] _servers;
    private readonly OriginSettings _settings;
    private readonly EdgeMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<OriginLink> _logger;
    private readonly ITimer _probes;

    // Watched streams without frames at the moment (not yet connected, or reconnecting), with the last reason.
    private readonly ConcurrentDictionary<string, string> _disconnected = new(StringComparer.Ordinal);

    // When each stream stopped receiving, for the reconnect-duration histogram.
    private readonly ConcurrentDictionary<string, long> _outageStarted = new(StringComparer.Ordinal);

    // The origin each receiving stream comes from.
    private readonly ConcurrentDictionary<string, OriginServer> _sources = new(StringComparer.Ordinal);
    private int _watching;
    private int _reconnecting;
    private int _probing;

    public OriginLink(IOptions<EdgeOptions> options, TimeProvider time, EdgeMetrics metrics, ILogger<OriginLink> logger)
        : this(options, time, metrics, logger, (i, address) => new OriginServer(i, address, options.Value.Origin, time, metrics, logger))
    {
    }

    /// <summary>A link whose origins <paramref name="serverAt"/> makes (by preference and address): a test's in-memory origins.</summary>
    internal OriginLink(IOptions<EdgeOptions> options, TimeProvider time, EdgeMetrics metrics, ILogger<OriginLink> logger, Func<int, string, OriginServer> serverAt)
    {
        _settings = options.Value.Origin;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _servers = [.. _settings.OriginAddresses.Select((address, i) => serverAt(i, address))];
        metrics.ObserveOriginLink(() => Volatile.Read(ref _reconnecting), StreamsByOrigin);

        // An origin that is down is asked, now and then, whether it is back, so that streams can return to it.
        var interval = _settings.FailbackAfter / 4;
        _probes = time.CreateTimer(_ => ProbeDownOrigins(), null, interval, interval);
    }

    /// <summary>The origins, in order of preference.</summary>
    public IReadOnlyList<OriginServer> Servers => _servers;

    /// <summary>The origins' addresses, for logs and health.</summary>
    public string Address => string.Join(", ", _servers.Select(s => s.Address));

    public OriginLinkState State =>
        Volatile.Read(ref _reconnecting) > 0 ? OriginLinkState.Reconnecting
        : Volatile.Read(ref _watching) > 0 ? OriginLinkState.Connected
        : OriginLinkState.Idle;

    /// <summary>The origins starting with the one at <paramref name="start"/>, those that are up before those that are down.</summary>
    public IEnumerable<OriginServer> InOrder(int start = 0)
    {
        var rotated = _servers.Skip(start).Concat(_servers.Take(start)).ToArray();
        return rotated.Where(s => s.IsUp).Concat(rotated.Where(s => !s.IsUp));
    }

    /// <summary>The stream's description from the first origin that has it, each asked for at most <see cref="OriginSettings.DescribeTimeout"/>.</summary>
    /// <exception cref="StreamNotFoundException">No origin has it.</exception>
    /// <exception cref="OriginUnavailableException">An origin that might have it did not answer.</exception>
    public async Task<StreamDescription> DescribeAsync(string name, CancellationToken cancellationToken)
    {
        using var activity = EdgeActivities.Source.StartActivity(EdgeActivities.Describe, System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("grpcstream.stream", name);
        List<(OriginServer Server, Exception Error)> failures = [];
        foreach (var server in InOrder())
        {
            try
            {
                var description = await DescribeAtAsync(server, name, cancellationToken).ConfigureAwait(false);
                LastCallFailure = null;
                return description;
            }
            catch (Exception ex) when (ex is StreamNotFoundException or OriginUnavailableException)
            {
                failures.Add((server, ex));
            }
        }

        if (failures.All(f => f.Error is StreamNotFoundException))
        {
            LastCallFailure = null;
            activity.Failed("not found");
            throw new StreamNotFoundException(name);
        }

        var reason = string.Join("; ", failures.Where(f => f.Error is OriginUnavailableException).Select(f => f.Error.Message));
        if (LastCallFailure != reason)
        {
            EdgeLog.OriginCallFailed(_logger, name, reason);
        }

        LastCallFailure = reason;
        activity.Failed(reason);
        throw new OriginUnavailableException(reason, failures.First(f => f.Error is OriginUnavailableException).Error);
    }

    /// <summary>The stream's description from <paramref name="server"/>, waiting at most <see cref="OriginSettings.DescribeTimeout"/>.</summary>
    public async Task<StreamDescription> DescribeAtAsync(OriginServer server, string name, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_settings.DescribeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var description = await server.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = name }, cancellationToken: linked.Token).ConfigureAwait(false);
            server.Answered();
            return description;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            server.Answered();
            throw new StreamNotFoundException(name);
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            server.Observe(ex);
            throw new OriginUnavailableException($"origin {server.Address} did not answer: {Describe(ex)}", ex);
        }
    }

    public async Task ReadFramesAsync(string name, ulong firstIndex, int maxFrames, Action<OriginFrame> onFrame, CancellationToken cancellationToken)
    {
        var request = new ReadFramesRequest { Name = name, FirstIndex = firstIndex, MaxFrames = (uint)Math.Max(maxFrames, 1) };
        var method = OriginFrame.ReadFramesMethod(new OriginFrame());
        List<(OriginServer Server, Exception Error)> failures = [];
        foreach (var server in InOrder())
        {
            var delivered = false;
            try
            {
                using var call = server.Invoker.AsyncServerStreamingCall(method, null, new CallOptions(cancellationToken: cancellationToken), request);
                while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    delivered = true;
                    onFrame(call.ResponseStream.Current);
                }

                server.Answered();
                return;
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument or StatusCode.FailedPrecondition)
            {
                server.Answered();
                failures.Add((server, new StreamNotFoundException(name)));
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                server.Observe(ex);
                var failure = new OriginUnavailableException($"origin {server.Address} did not serve frames of '{name}': {Describe(ex)}", ex);
                if (delivered)
                {
                    // Part of the run came: the caller keeps it and asks again from where it stopped.
                    throw failure;
                }

                failures.Add((server, failure));
            }
        }

        throw failures.All(f => f.Error is StreamNotFoundException)
            ? new StreamNotFoundException(name)
            : failures.First(f => f.Error is OriginUnavailableException).Error;
    }

    /// <summary>Why the last DESCRIBE to the origins failed (a refused certificate, a wrong token); null after one succeeds.</summary>
    public string? LastCallFailure { get; private set; }

    /// <summary>Every origin's streams (the first origin's entry for a name they share), each asked for at most <see cref="OriginSettings.DescribeTimeout"/>.</summary>
    /// <exception cref="OriginUnavailableException">No origin answered.</exception>
    public async Task<IReadOnlyList<StreamDescription>> ListStreamsAsync(CancellationToken cancellationToken)
    {
        var answers = await Task.WhenAll(_servers.Select(server => ListAtAsync(server, cancellationToken))).ConfigureAwait(false);
        if (answers.All(a => a.Streams is null))
        {
            throw new OriginUnavailableException(string.Join("; ", answers.Select(a => a.Failure)));
        }

        return [.. answers.SelectMany(a => a.Streams ?? []).DistinctBy(s => s.Name, StringComparer.Ordinal)];
    }

    private async Task<(IReadOnlyList<StreamDescription>? Streams, string? Failure)> ListAtAsync(OriginServer server, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_settings.DescribeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var streams = (await server.Client.ListStreamsAsync(new ListStreamsRequest(), cancellationToken: linked.Token).ConfigureAwait(false)).Streams;
            server.Answered();
            return (streams, null);
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            server.Observe(ex);
            return (null, $"origin {server.Address} did not answer: {Describe(ex)}");
        }
    }

    /// <summary>
    /// Delivers the stream's frames to <paramref name="onFrame"/> until cancelled, from whichever origin can,
    /// reconnecting as long as it takes, whatever went wrong: it ends only on cancellation. The frame handed over is
    /// valid during the call only: the next frame is read into it.
    /// </summary>
    public async Task WatchAsync(string name, Action<OriginFrame> onFrame, CancellationToken cancellationToken)
    {
        var watch = new OriginWatch(this, _servers, _settings, _time, _metrics, _logger, name, onFrame);
        Interlocked.Increment(ref _watching);
        NotReceiving(name, "connecting");
        try
        {
            await watch.RunAsync(cancellationToken).ConfigureAwait(false);
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
            _sources.TryRemove(name, out _);
            if (_disconnected.TryRemove(name, out _))
            {
                Interlocked.Decrement(ref _reconnecting);
            }

            _outageStarted.TryRemove(name, out _); // nobody watches: the outage ends unmeasured
        }
    }

    /// <summary>A watched stream's frames come from <paramref name="server"/> now.</summary>
    internal void Receiving(string name, OriginServer server, ulong? resumedAfter)
    {
        _sources[name] = server;
        if (_disconnected.TryRemove(name, out _))
        {
            Interlocked.Decrement(ref _reconnecting);
        }

        // The first connection of a watch is not a reconnect: only a stream that had frames before is measured.
        if (_outageStarted.TryRemove(name, out var since) && resumedAfter is not null)
        {
            _metrics.OriginReconnected(_time.GetElapsedTime(since));
        }

        EdgeLog.OriginConnected(_logger, name, server.Address, resumedAfter?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none");
    }

    internal void NotReceiving(string name, string reason)
    {
        _sources.TryRemove(name, out _);
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

    /// <summary>A watched stream's origin stopped delivering it.</summary>
    internal void Lost(string name, string reason)
    {
        NotReceiving(name, reason);
        _metrics.OriginOutage();
        EdgeLog.OriginLost(_logger, name, reason);
    }

    /// <summary>The origin a watched stream receives from now; null while it receives nothing.</summary>
    public string? SourceOf(string name) => _sources.TryGetValue(name, out var server) ? server.Address : null;

    /// <summary>How many watched streams receive from each origin now (every origin listed, with 0 for none).</summary>
    public IReadOnlyDictionary<string, int> StreamsByOrigin()
    {
        var counts = _sources.Values.CountBy(s => s.Address).ToDictionary(StringComparer.Ordinal);
        return _servers.ToDictionary(s => s.Address, s => counts.GetValueOrDefault(s.Address), StringComparer.Ordinal);
    }

    /// <summary>Asks each origin that is down, and not being asked already, whether it answers again.</summary>
    private void ProbeDownOrigins()
    {
        if (Volatile.Read(ref _watching) == 0 || Interlocked.Exchange(ref _probing, 1) == 1)
        {
            return;
        }

        _ = Task.WhenAll(_servers.Where(s => !s.IsUp).Select(s => ListAtAsync(s, CancellationToken.None)))
            .ContinueWith(
                probes =>
                {
                    _ = probes.Exception; // the link being disposed meanwhile: nothing to report
                    Volatile.Write(ref _probing, 0);
                },
                TaskScheduler.Default);
    }

    internal static string Describe(Exception? exception) => exception switch
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

    public void Dispose()
    {
        _probes.Dispose();
        foreach (var server in _servers)
        {
            server.Dispose();
        }
    }
}
