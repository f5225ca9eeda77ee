using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Sessions;
using GrpcStream.Protos.Edge.V1;
using Session = GrpcStream.Protos.Edge.V1.Session;
using SessionEvent = GrpcStream.Protos.Edge.V1.SessionEvent;
using GrpcStream.Shared.Net;

namespace GrpcStream.Edge.Control;

/// <summary>The edge's control API: sessions listed and kicked, draining for upgrades, totals.</summary>
internal sealed class EdgeControlService(
    SessionManager sessions,
    DrainState drain,
    Origin.OriginLink origin,
    Streams.StreamHubRegistry hubs,
    Connections.RtspListener listener,
    TimeProvider time,
    ILogger<EdgeControlService> logger) : EdgeControl.EdgeControlBase
{
    public override Task<ListSessionsResponse> ListSessions(ListSessionsRequest request, ServerCallContext context)
    {
        var response = new ListSessionsResponse();
        response.Sessions.AddRange(sessions.Registry.All
            .Where(s => request.Stream.Length == 0 || s.Stream == request.Stream)
            .OrderBy(s => s.Since)
            .Select(Describe));
        return Task.FromResult(response);
    }

    public override Task<Session> GetSession(GetSessionRequest request, ServerCallContext context) =>
        Task.FromResult(Describe(Find(request.Id)));

    public override Task<KickSessionResponse> KickSession(KickSessionRequest request, ServerCallContext context)
    {
        var session = Find(request.Id);
        EdgeLog.SessionKicked(logger, session.Id, session.Owner.Remote.ToString(), request.Reason.Length > 0 ? request.Reason : "no reason given");
        sessions.Kick(session, request.Reason);
        return Task.FromResult(new KickSessionResponse());
    }

    public override async Task WatchSessions(WatchSessionsRequest request, IServerStreamWriter<SessionEvent> responseStream, ServerCallContext context)
    {
        using var watcher = sessions.Watch()
            ?? throw new RpcException(new Grpc.Core.Status(StatusCode.ResourceExhausted, "too many watchers (Edge:Control:MaxWatchers); try again later"));
        bool Wanted(Sessions.Session session) => request.Stream.Length == 0 || session.Stream == request.Stream;

        var snapshot = new SessionSnapshot();
        snapshot.Sessions.AddRange(watcher.Snapshot.Where(Wanted).Select(Describe));
        await responseStream.WriteAsync(new SessionEvent { At = Timestamp.FromDateTimeOffset(time.GetUtcNow()), Snapshot = snapshot }).ConfigureAwait(false);

        try
        {
            await foreach (var change in watcher.Events.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                if (Wanted(change.Session))
                {
                    await responseStream.WriteAsync(Describe(change)).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            return; // the watcher went away, or the edge is stopping
        }

        if (watcher.FellBehind)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.ResourceExhausted, "this watcher fell behind (Edge:Control:WatchQueue events); watch again for a fresh snapshot"));
        }
    }

    public override Task<ListStreamsResponse> ListStreams(ListStreamsRequest request, ServerCallContext context)
    {
        var problems = origin.Problems;
        var byStream = sessions.Registry.Senders
            .GroupBy(s => s.Stream, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.CountBy(s => s.TransportKind).ToArray(), StringComparer.Ordinal);
        var response = new ListStreamsResponse();
        foreach (var hub in hubs.Hubs.OrderBy(h => h.Name, StringComparer.Ordinal))
        {
            var stats = hub.Counters.Read();
            var stream = new StreamInfo
            {
                Name = hub.Name,
                OriginLink = problems.ContainsKey(hub.Name) ? "reconnecting" : "receiving",
                OriginProblem = problems.GetValueOrDefault(hub.Name, string.Empty),
                FramesIn = (ulong)stats.FramesIn,
                FramesOut = (ulong)stats.FramesOut,
                Fps = Math.Round(stats.Fps, 2),
                Origin = origin.SourceOf(hub.Name) ?? string.Empty,
                OnSlate = hub.OnSlate,
                SlateSeconds = Math.Round(hub.SlateTime.TotalSeconds, 1),
            };
            if (stats.LastFrameAge is { } age)
            {
                stream.LastFrameAgeMs = (ulong)age.TotalMilliseconds;
            }

            foreach (var (transport, count) in byStream.GetValueOrDefault(hub.Name, []))
            {
                stream.Sessions[transport] = (uint)count;
            }

            response.Streams.Add(stream);
        }

        return Task.FromResult(response);
    }

    public override Task<DrainStatus> Drain(DrainRequest request, ServerCallContext context)
    {
        drain.Start(request.HasDeadlineSeconds ? TimeSpan.FromSeconds(request.DeadlineSeconds) : null);
        EdgeLog.Draining(logger, sessions.Registry.Count, drain.Deadline?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "none");
        return Task.FromResult(Status());
    }

    public override Task<DrainStatus> Undrain(UndrainRequest request, ServerCallContext context)
    {
        drain.Stop();
        EdgeLog.Undrained(logger);
        return Task.FromResult(Status());
    }

    public override Task<EdgeStats> GetStats(GetStatsRequest request, ServerCallContext context)
    {
        var stats = new EdgeStats
        {
            Sessions = (uint)sessions.Registry.Count,
            Connections = (uint)listener.ConnectionCount,
            Draining = drain.Draining,
            OriginLink = origin.State.ToString().ToLowerInvariant(),
        };
        var streams = origin.StreamsByOrigin();
        stats.Origins.AddRange(origin.Servers.Select(s => new OriginInfo { Address = s.Address, Circuit = s.Circuit, Up = s.IsUp, Streams = (uint)streams.GetValueOrDefault(s.Address) }));
        return Task.FromResult(stats);
    }

    private DrainStatus Status()
    {
        var status = new DrainStatus { Draining = drain.Draining, Sessions = (uint)sessions.Registry.Count };
        if (drain.Deadline is { } deadline)
        {
            status.Deadline = Timestamp.FromDateTimeOffset(deadline);
        }

        return status;
    }

    private Sessions.Session Find(string id) =>
        sessions.Registry.TryGet(id, out var session) ? session : throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, $"no session {id}"));

    private static SessionEvent Describe(in Sessions.SessionEvent change)
    {
        var described = new SessionEvent { At = Timestamp.FromDateTimeOffset(change.At) };
        var session = Describe(change.Session);
        switch (change.Change)
        {
            case SessionChange.Created:
                described.Created = session;
                break;
            case SessionChange.Playing:
                described.Playing = session;
                break;
            case SessionChange.Paused:
                described.Paused = session;
                break;
            default:
                described.Closed = new SessionClosed { Session = session, Reason = Reasons[(int)change.Reason], Detail = change.Detail ?? string.Empty };
                break;
        }

        return described;
    }

    // SessionEndReason in declaration order, as the contract names them.
    private static readonly CloseReason[] Reasons =
    [
        CloseReason.Teardown, CloseReason.Timeout, CloseReason.Kicked, CloseReason.Error, CloseReason.Shutdown,
        CloseReason.Drained, CloseReason.Replaced, CloseReason.Disconnected,
    ];

    private static Session Describe(Sessions.Session session)
    {
        var traffic = session.Traffic;
        var described = new Session
        {
            Id = session.Id,
            Kind = session.Kind.ToString().ToLowerInvariant(),
            Stream = session.Stream,
            Transport = session.TransportKind,
            ClientAddress = Plain(session.Owner.Remote.Address),
            ClientPort = (uint)session.Owner.Remote.Port,
            RtpDestination = session.RtpDestination is { } destination ? $"{Plain(destination.Address)}:{destination.Port}" : string.Empty,
            State = session.StateName,
            Since = Timestamp.FromDateTimeOffset(session.Since),
            FramesDropped = (ulong)traffic.Dropped,
        };
        if (session.Kind == SessionKind.Record)
        {
            described.FramesReceived = (ulong)traffic.Frames;
            return described;
        }

        (described.FramesSent, described.PacketsSent, described.BytesSent) = ((ulong)traffic.Frames, (ulong)traffic.Packets, (ulong)traffic.Bytes);
        if (session.Player.Sender.LastReport is { } report)
        {
            described.ReportedFractionLost = report.FractionLost / 256.0;
            described.ReportedJitterMs = report.Jitter / 90.0;
        }

        return described;
    }

    private static string Plain(System.Net.IPAddress address) => PlainAddress.Of(address).ToString();
}
