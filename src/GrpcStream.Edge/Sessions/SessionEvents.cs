using System.Threading.Channels;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Sessions;

/// <summary>What happened to a session.</summary>
internal enum SessionChange
{
    Created,
    Playing,
    Paused,
    Closed,
}

/// <summary>One change of one session; <see cref="Reason"/> and <see cref="Detail"/> only for <see cref="SessionChange.Closed"/>.</summary>
internal readonly record struct SessionEvent(SessionChange Change, Session Session, DateTimeOffset At, SessionEndReason Reason = default, string? Detail = null);

/// <summary>
/// Tells watchers (the control API's <c>WatchSessions</c>) what happens to sessions. Publishing never waits: each
/// watcher has a bounded queue, and one that falls behind is ended rather than slowing the sessions down or
/// holding events without bound.
/// </summary>
internal sealed class SessionEvents(IOptions<EdgeOptions> options, EdgeMetrics metrics)
{
    private readonly ControlSettings _settings = options.Value.Control;
    private readonly Lock _gate = new();
    private SessionWatcher[] _watchers = [];

    public int WatcherCount => Volatile.Read(ref _watchers).Length;

    /// <summary>A new watcher, or null when <see cref="ControlSettings.MaxWatchers"/> are watching already.</summary>
    public SessionWatcher? Subscribe()
    {
        lock (_gate)
        {
            if (_watchers.Length >= _settings.MaxWatchers)
            {
                metrics.LimitHit(EdgeLimits.MaxWatchers);
                return null;
            }

            var watcher = new SessionWatcher(_settings.WatchQueue, Unsubscribe);
            _watchers = [.. _watchers, watcher];
            return watcher;
        }
    }

    public void Publish(in SessionEvent change)
    {
        foreach (var watcher in Volatile.Read(ref _watchers))
        {
            if (!watcher.TryWrite(change))
            {
                metrics.LimitHit(EdgeLimits.WatchQueue);
            }
        }
    }

    private void Unsubscribe(SessionWatcher watcher)
    {
        lock (_gate)
        {
            _watchers = [.. _watchers.Where(w => w != watcher)];
        }
    }
}

/// <summary>One watcher's queue of events. Dispose it when the watch ends.</summary>
internal sealed class SessionWatcher : IDisposable
{
    private readonly Channel<SessionEvent> _queue;
    private readonly Action<SessionWatcher> _unsubscribe;

    public SessionWatcher(int capacity, Action<SessionWatcher> unsubscribe)
    {
        _queue = Channel.CreateBounded<SessionEvent>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _unsubscribe = unsubscribe;
    }

    /// <summary>The sessions there were when the watch began (set by <see cref="SessionManager.Watch"/>).</summary>
    public IReadOnlyList<Session> Snapshot { get; internal set; } = [];

    public ChannelReader<SessionEvent> Events => _queue.Reader;

    /// <summary>True once an event could not be queued: the queue was ended there, and the watch must start again.</summary>
    public bool FellBehind { get; private set; }

    internal bool TryWrite(in SessionEvent change)
    {
        if (_queue.Writer.TryWrite(change))
        {
            return true;
        }

        if (!FellBehind)
        {
            FellBehind = true;
            _queue.Writer.TryComplete();
            return false;
        }

        return true; // ended already: counted once
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _unsubscribe(this);
    }
}
