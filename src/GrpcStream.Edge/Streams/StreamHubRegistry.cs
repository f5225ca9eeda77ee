using GrpcStream.Edge.Origin;
using GrpcStream.Edge.Settings;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Streams;

/// <summary>
/// The hubs of the streams being watched, and the one place they are acquired and released. A hub starts with its
/// first user and is stopped a while (<see cref="OriginSettings.Linger"/>) after its last, so a player that
/// reconnects at once finds it warm. Nothing here waits on a hub's work while holding the lock: stopping a hub
/// only cancels its watch.
/// </summary>
internal sealed class StreamHubRegistry : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StreamHub> _hubs = new(StringComparer.Ordinal);
    private readonly Dictionary<StreamHub, int> _users = [];
    private readonly Dictionary<string, ITimer> _lingering = new(StringComparer.Ordinal);
    private readonly List<Task> _stopping = [];
    private readonly IOriginSource _origin;
    private readonly EdgeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<StreamHub> _logger;
    private readonly Diagnostics.EdgeMetrics _metrics;
    private readonly FilmCache _films;

    public StreamHubRegistry(IOriginSource origin, IOptions<EdgeOptions> options, Diagnostics.EdgeMetrics metrics, TimeProvider time, ILogger<StreamHub> logger)
    {
        _origin = origin;
        _metrics = metrics;
        metrics.ObserveSlate(() => Hubs.Count(h => h.OnSlate));
        _options = options.Value;
        _time = time;
        _logger = logger;
        _films = new FilmCache(origin, _options.OnDemand, _options.Rtsp.MaxPayloadSize, time, metrics, logger);
    }

    /// <summary>The frames of the films played on demand, shared by their sessions.</summary>
    public FilmCache Films => _films;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _hubs.Count;
            }
        }
    }

    /// <summary>The hubs there are now: streams being served or kept warm.</summary>
    public IReadOnlyList<StreamHub> Hubs
    {
        get
        {
            lock (_gate)
            {
                return [.. _hubs.Values];
            }
        }
    }

    /// <summary>True when a hub for <paramref name="name"/> is receiving frames (so the stream is known to exist).</summary>
    public bool IsLive(string name)
    {
        lock (_gate)
        {
            return _hubs.TryGetValue(name, out var hub) && !hub.Gone && _origin.IsReceiving(name) && hub.LatestTime is not null;
        }
    }

    /// <summary>
    /// A use of the hub of a stream that exists, with a frame held, for a session about to start: the stream is
    /// described at the origin unless a live hub says it exists already, then acquired (a film on demand gets a
    /// <see cref="FilmCursor"/> of its own at its start instead), then its first frame is awaited (at most <see cref="OriginSettings.DescribeTimeout"/>) so that playing starts at once. The one place
    /// an RTSP SETUP and an HTTP viewer get their stream; the lease is given back on every path that throws.
    /// </summary>
    /// <exception cref="StreamNotFoundException">No origin has the stream.</exception>
    /// <exception cref="OriginUnavailableException">An origin that might have it did not answer.</exception>
    public async Task<HubLease> AcquireAsync(string name, CancellationToken cancellationToken)
    {
        var description = IsLive(name) ? null : await _origin.DescribeAsync(name, cancellationToken).ConfigureAwait(false);

        // A film on demand: a place of the session's own in it, from the shared cache, instead of the live hub.
        var lease = description is { Mode: Protos.Origin.V1.StreamMode.OnDemand }
            ? new HubLease(new FilmCursor(new Film(name, description.FrameRate, description.FrameCount, description.Loop), _films, _time))
            : Acquire(name);
        try
        {
            await lease.Source.WaitForFirstFrameAsync(_options.Origin.DescribeTimeout, cancellationToken).ConfigureAwait(false);
            return lease;
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>A use of the hub of <paramref name="name"/>, started if needed; dispose the lease unless it is taken.</summary>
    public HubLease Acquire(string name)
    {
        lock (_gate)
        {
            if (_lingering.Remove(name, out var timer))
            {
                timer.Dispose();
            }

            if (!_hubs.TryGetValue(name, out var hub) || hub.Gone)
            {
                if (hub is not null)
                {
                    Forget(hub);
                }

                hub = new StreamHub(name, _origin, _options.Rtsp.MaxPayloadSize, _options.Origin, _metrics, _time, _logger, Release);
                _hubs[name] = hub;
                _users[hub] = 0;
                hub.Start();
            }

            _users[hub]++;
            return new HubLease(hub);
        }
    }

    private void Release(StreamHub hub)
    {
        lock (_gate)
        {
            if (!_users.TryGetValue(hub, out var users))
            {
                return; // already stopped (replaced, or the edge is stopping)
            }

            _users[hub] = --users;
            if (users > 0 || !_hubs.TryGetValue(hub.Name, out var current) || current != hub)
            {
                if (users == 0)
                {
                    Forget(hub); // a hub already replaced by a newer one for its name
                }

                return;
            }

            _lingering[hub.Name] = _time.CreateTimer(_ => Expire(hub), null, _options.Origin.Linger, Timeout.InfiniteTimeSpan);
        }
    }

    private void Expire(StreamHub hub)
    {
        lock (_gate)
        {
            if (!_users.TryGetValue(hub, out var users) || users > 0 || !_hubs.TryGetValue(hub.Name, out var current) || current != hub)
            {
                return;
            }

            _hubs.Remove(hub.Name);
            if (_lingering.Remove(hub.Name, out var timer))
            {
                timer.Dispose();
            }

            Forget(hub);
        }
    }

    /// <summary>Stops a hub that is no longer in the table (under the lock; does not wait).</summary>
    private void Forget(StreamHub hub)
    {
        if (_users.TryGetValue(hub, out var users) && users > 0)
        {
            return; // sessions still hold it: their releases stop it
        }

        _users.Remove(hub);
        hub.Stop();
        _stopping.RemoveAll(task => task.IsCompleted);
        _stopping.Add(hub.Watching);
    }

    public async ValueTask DisposeAsync()
    {
        Task[] watches;
        lock (_gate)
        {
            foreach (var timer in _lingering.Values)
            {
                timer.Dispose();
            }

            _lingering.Clear();
            foreach (var hub in _hubs.Values)
            {
                _users[hub] = 0;
                Forget(hub);
            }

            _hubs.Clear();
            watches = [.. _stopping];
        }

        // Outside the lock: the watches end once cancelled.
        await Task.WhenAll(watches).WaitAsync(TimeSpan.FromSeconds(2), _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _films.Dispose();
    }
}
