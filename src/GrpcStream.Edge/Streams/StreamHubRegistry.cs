using GrpcStream.Edge.Hosting;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Streams;

/// <summary>
/// The hubs of the streams being watched. A hub starts with its first session and is disposed a while
/// (<see cref="OriginSettings.Linger"/>) after its last, so a player that reconnects at once finds it warm.
/// </summary>
internal sealed class StreamHubRegistry : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StreamHub> _hubs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ITimer> _lingering = new(StringComparer.Ordinal);
    private readonly OriginLink.OriginLink _origin;
    private readonly EdgeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<StreamHub> _logger;

    public StreamHubRegistry(OriginLink.OriginLink origin, IOptions<EdgeOptions> options, TimeProvider time, ILogger<StreamHub> logger)
    {
        _origin = origin;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

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

    /// <summary>True when a hub for <paramref name="name"/> is receiving frames (so the stream is known to exist).</summary>
    public bool IsLive(string name)
    {
        lock (_gate)
        {
            return _hubs.TryGetValue(name, out var hub) && !hub.Gone && hub.LatestTime is not null;
        }
    }

    /// <summary>The hub of <paramref name="name"/>, started if needed, with one more user.</summary>
    public StreamHub Acquire(string name)
    {
        lock (_gate)
        {
            if (_lingering.Remove(name, out var timer))
            {
                timer.Dispose();
            }

            if (!_hubs.TryGetValue(name, out var hub) || hub.Gone)
            {
                hub?.Dispose();
                hub = new StreamHub(name, _origin, _options.Rtsp.MaxPayloadSize, _time, _logger);
                _hubs[name] = hub;
                hub.Start();
            }

            hub.Users++;
            return hub;
        }
    }

    public void Release(StreamHub hub)
    {
        lock (_gate)
        {
            if (--hub.Users > 0 || !_hubs.TryGetValue(hub.Name, out var current) || current != hub)
            {
                return;
            }

            _lingering[hub.Name] = _time.CreateTimer(_ => Expire(hub), null, _options.Origin.Linger, Timeout.InfiniteTimeSpan);
        }
    }

    private void Expire(StreamHub hub)
    {
        lock (_gate)
        {
            if (hub.Users > 0 || !_hubs.TryGetValue(hub.Name, out var current) || current != hub)
            {
                return;
            }

            _hubs.Remove(hub.Name);
            if (_lingering.Remove(hub.Name, out var timer))
            {
                timer.Dispose();
            }
        }

        hub.Dispose();
    }

    public void Dispose()
    {
        StreamHub[] hubs;
        lock (_gate)
        {
            hubs = [.. _hubs.Values];
            _hubs.Clear();
            foreach (var timer in _lingering.Values)
            {
                timer.Dispose();
            }

            _lingering.Clear();
        }

        foreach (var hub in hubs)
        {
            hub.Dispose();
        }
    }
}
