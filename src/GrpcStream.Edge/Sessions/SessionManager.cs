using System.Net;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Rtp;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Messages;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Sessions;

/// <summary>
/// The life of sessions: creation within the limits (<see cref="RtspSettings.MaxSessions"/>,
/// <see cref="RtspSettings.MaxSessionsPerConnection"/>, one session per UDP destination), sender reports, expiry,
/// and closing (with a BYE, releasing the stream and the transport). The one place a session begins and ends,
/// whatever ended it.
/// </summary>
internal sealed class SessionManager(
    SessionRegistry registry,
    EdgeMetrics metrics,
    IOptions<EdgeOptions> options,
    TimeProvider time,
    ILogger<SessionManager> logger,
    DrainState? drain = null,
    SessionEvents? events = null)
{
    private readonly DrainState _drain = drain ?? new DrainState(time);
    private readonly SessionEvents? _events = events;

    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);
    private readonly RtspSettings _settings = options.Value.Rtsp;
    private readonly HttpSettings _http = options.Value.Http;
    private readonly Lock _gate = new();
    private readonly Dictionary<IPEndPoint, Session> _destinations = [];

    public SessionRegistry Registry => registry;

    /// <summary>Refuses early, before a stream is looked up or watched, a SETUP that would break a session limit.</summary>
    /// <exception cref="SetupRefusedException">453 for the connection's limit, 503 for the edge's.</exception>
    public void EnsureRoom(ISessionOwner owner)
    {
        lock (_gate)
        {
            CheckLimits(owner);
        }
    }

    /// <summary>Makes a session of the leased stream over <paramref name="transport"/>, owned by <paramref name="owner"/>.</summary>
    /// <exception cref="SetupRefusedException">A limit is reached, or the owner already streams to that destination.</exception>
    public Session Create(ISessionOwner owner, HubLease lease, IMediaTransport transport)
    {
        Session session;
        Session? replaced = null;
        lock (_gate)
        {
            CheckLimits(owner);
            if (transport.Destination is { } destination && _destinations.TryGetValue(destination, out var holder))
            {
                // Two sessions must never stream to one port: that is how a flood of SETUPs becomes a flood of
                // packets. The same connection asking twice is refused; a new connection from the same address
                // (a client restarted with its fixed port, as the lab client is) takes the port over.
                if (holder.Owner == owner)
                {
                    metrics.LimitHit(EdgeLimits.UdpDestination);
                    throw new SetupRefusedException(RtspStatusCode.UnsupportedTransport, $"a session of this connection already streams to {destination}");
                }

                replaced = holder;
                _destinations.Remove(destination);
            }

            session = Register(owner, lease, transport, SessionKind.Play);
            if (transport.Destination is { } taken)
            {
                _destinations[taken] = session;
            }
        }

        Opened(session);
        if (replaced is not null)
        {
            metrics.LimitHit(EdgeLimits.UdpDestination);
            Close(replaced, SessionEndReason.Replaced, $"by session {session.Id} on the same client ports");
        }

        return session;
    }

    /// <summary>
    /// Makes the session of an HTTP viewer (<paramref name="owner"/> is its request) of the leased stream, within
    /// <see cref="HttpSettings.MaxViewers"/>.
    /// </summary>
    /// <exception cref="SetupRefusedException">503: the edge is draining, or has its most viewers.</exception>
    public Session CreateViewer(ISessionOwner owner, HubLease lease, IMediaTransport transport)
    {
        Session session;
        lock (_gate)
        {
            if (_drain.Draining)
            {
                throw new SetupRefusedException(RtspStatusCode.ServiceUnavailable, "the edge is draining", RetryAfter);
            }

            if (registry.CountOf(SessionKind.View) >= _http.MaxViewers)
            {
                metrics.LimitHit(EdgeLimits.MaxViewers);
                throw new SetupRefusedException(RtspStatusCode.ServiceUnavailable, $"{_http.MaxViewers} HTTP viewers on this edge", RetryAfter);
            }

            session = Register(owner, lease, transport, SessionKind.View);
        }

        Opened(session);
        return session;
    }

    /// <summary>A watcher of session changes, with the sessions there are now as its snapshot; null when too many watch.</summary>
    public SessionWatcher? Watch()
    {
        if (_events is null)
        {
            return null;
        }

        lock (_gate)
        {
            var watcher = _events.Subscribe();
            if (watcher is not null)
            {
                watcher.Snapshot = [.. registry.All.OrderBy(s => s.Since)];
            }

            return watcher;
        }
    }

    /// <summary>
    /// Takes <paramref name="method"/> through the session's state machine (<see cref="Session.TryApply"/>) and
    /// tells watchers when its media starts (PLAY, RECORD) or stops (PAUSE).
    /// </summary>
    public bool Apply(Session session, RtspMethod method)
    {
        var before = session.State;
        if (!session.TryApply(method))
        {
            return false;
        }

        var after = session.State;
        if (after != before && SessionStateMachine.IsActive(after) != SessionStateMachine.IsActive(before) && after != SessionState.Init)
        {
            _events?.Publish(new SessionEvent(SessionStateMachine.IsActive(after) ? SessionChange.Playing : SessionChange.Paused, session, time.GetUtcNow()));
        }

        return true;
    }

    /// <summary>
    /// Registers a publisher's session (its ANNOUNCE was accepted by an origin), so that it is listed, watched and
    /// can be kicked like any other.
    /// </summary>
    public void AddPublisher(Session session)
    {
        lock (_gate)
        {
            registry.Add(session);
            _events?.Publish(new SessionEvent(SessionChange.Created, session, time.GetUtcNow()));
        }
    }

    /// <summary>
    /// Ends a session: out of the registry, then what it holds let go (<see cref="Session.End"/>: a player's BYE,
    /// transport and stream; a publisher's connection), counted, logged and told to watchers.
    /// </summary>
    public void Close(Session session, SessionEndReason reason, string? detail = null)
    {
        if (Unregister(session))
        {
            session.End();
            Closed(session, reason, detail);
        }
    }

    /// <summary>
    /// A publisher's session that has ended by its own path (TEARDOWN, or its connection closing, which ends the
    /// publication): out of the registry and told, if a kick or a drain has not done so already.
    /// </summary>
    public void Ended(Session session, SessionEndReason reason, string? detail = null)
    {
        if (Unregister(session))
        {
            Closed(session, reason, detail);
        }
    }

    private bool Unregister(Session session)
    {
        lock (_gate)
        {
            if (!registry.Remove(session))
            {
                return false;
            }

            if (session.Kind != SessionKind.Record)
            {
                session.Owner.Remove(session);
                if (session.RtpDestination is { } destination && _destinations.TryGetValue(destination, out var holder) && holder == session)
                {
                    _destinations.Remove(destination);
                }
            }

            return true;
        }
    }

    private void Closed(Session session, SessionEndReason reason, string? detail)
    {
        var why = reason.ToString().ToLowerInvariant();
        var said = detail is null ? why : $"{why}: {detail}";
        var traffic = session.Traffic;
        _events?.Publish(new SessionEvent(SessionChange.Closed, session, time.GetUtcNow(), reason, detail));
        if (session.Kind == SessionKind.Record)
        {
            // Publishers have their own counts (publishers, published frames).
            EdgeLog.PublishingSessionClosed(logger, session.Id, session.Stream, said, traffic.Frames, traffic.Dropped);
            return;
        }

        metrics.SessionClosed(session.TransportKind, session.Stream, why);
        EdgeLog.SessionClosed(logger, session.Id, said, traffic.Frames, traffic.Packets, traffic.Dropped);
    }

    /// <summary>Ends a session at an operator's word, and its connection when it holds no other session.</summary>
    public void Kick(Session session, string reason)
    {
        Close(session, SessionEndReason.Kicked, reason.Length > 0 ? reason : null);
        if (session.Owner.SessionCount == 0)
        {
            session.Owner.Disconnect();
        }
    }

    public void CloseAll(SessionEndReason reason)
    {
        foreach (var session in registry.All.ToArray())
        {
            Close(session, reason);
        }
    }

    /// <summary>Closes expired sessions and sends sender reports that are due; called about once a second.</summary>
    public void Maintain()
    {
        if (_drain.DeadlinePassed)
        {
            CloseAll(SessionEndReason.Drained);
        }

        foreach (var session in registry.Senders)
        {
            var media = session.Player;
            if (media.Transport.ExpiresWhenSilent && session.IsExpired(_settings.SessionTimeout))
            {
                Close(session, SessionEndReason.Timeout);
            }
            else if (session.State == SessionState.Playing && media.Sender.SenderReportDue(_settings.SenderReportInterval))
            {
                media.SendReport(bye: false);
            }
        }
    }

    // Under the lock, as Watch's snapshot is: a watcher sees a session either in its snapshot or created.
    private Session Register(ISessionOwner owner, HubLease lease, IMediaTransport transport, SessionKind kind)
    {
        var media = new PlayMedia(lease.Take(), transport, new RtpSender(time), time, metrics.FirstFrame);
        var session = Session.ForPlayer(SessionRegistry.NewId(), kind, owner, media, time);
        registry.Add(session);
        owner.Add(session);
        _events?.Publish(new SessionEvent(SessionChange.Created, session, time.GetUtcNow()));
        return session;
    }

    private void Opened(Session session)
    {
        var transport = session.Player.Transport;
        transport.Attach(session.Player);
        metrics.SessionOpened(transport.Kind, session.Stream);
        EdgeLog.SessionCreated(logger, session.Id, session.Stream, transport.Kind, transport.Destination?.ToString() ?? "its connection");
    }

    private void CheckLimits(ISessionOwner owner)
    {
        if (_drain.Draining)
        {
            throw new SetupRefusedException(RtspStatusCode.ServiceUnavailable, "the edge is draining", RetryAfter);
        }

        if (owner.SessionCount >= _settings.MaxSessionsPerConnection)
        {
            metrics.LimitHit(EdgeLimits.MaxSessionsPerConnection);
            throw new SetupRefusedException(RtspStatusCode.NotEnoughBandwidth, $"{_settings.MaxSessionsPerConnection} sessions on this connection");
        }

        if (registry.CountOf(SessionKind.Play) >= _settings.MaxSessions)
        {
            metrics.LimitHit(EdgeLimits.MaxSessions);
            throw new SetupRefusedException(RtspStatusCode.ServiceUnavailable, $"{_settings.MaxSessions} sessions on this edge", RetryAfter);
        }
    }
}
