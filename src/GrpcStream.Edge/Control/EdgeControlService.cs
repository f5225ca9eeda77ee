using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Sessions;
using GrpcStream.Protos.Edge.V1;
using Session = GrpcStream.Protos.Edge.V1.Session;

namespace GrpcStream.Edge.Control;

/// <summary>The edge's control API: sessions listed and kicked, draining for upgrades, totals.</summary>
internal sealed class EdgeControlService(
    SessionManager sessions,
    DrainState drain,
    OriginLink.OriginLink origin,
    Connections.RtspListener listener,
    ILogger<EdgeControlService> logger) : EdgeControl.EdgeControlBase
{
    public override Task<ListSessionsResponse> ListSessions(ListSessionsRequest request, ServerCallContext context)
    {
        var response = new ListSessionsResponse();
        response.Sessions.AddRange(sessions.Registry.All
            .Where(s => request.Stream.Length == 0 || s.Feed.Name == request.Stream)
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

    public override Task<EdgeStats> GetStats(GetStatsRequest request, ServerCallContext context) =>
        Task.FromResult(new EdgeStats
        {
            Sessions = (uint)sessions.Registry.Count,
            Connections = (uint)listener.ConnectionCount,
            Draining = drain.Draining,
            OriginLink = origin.State.ToString().ToLowerInvariant(),
        });

    private DrainStatus Status()
    {
        var status = new DrainStatus { Draining = drain.Draining, Sessions = (uint)sessions.Registry.Count };
        if (drain.Deadline is { } deadline)
        {
            status.Deadline = Timestamp.FromDateTimeOffset(deadline);
        }

        return status;
    }

    private RtspSession Find(string id) =>
        sessions.Registry.TryGet(id, out var session) ? session : throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, $"no session {id}"));

    private static Session Describe(RtspSession session)
    {
        var sender = session.Sender;
        var described = new Session
        {
            Id = session.Id,
            Stream = session.Feed.Name,
            Transport = session.Transport.Kind,
            ClientAddress = Plain(session.Owner.Remote.Address),
            ClientPort = (uint)session.Owner.Remote.Port,
            RtpDestination = session.Transport.Destination is { } destination ? $"{Plain(destination.Address)}:{destination.Port}" : string.Empty,
            State = session.State.ToString().ToLowerInvariant(),
            Since = Timestamp.FromDateTimeOffset(session.Since),
            FramesSent = (ulong)sender.FramesSent,
            PacketsSent = (ulong)sender.PacketsSent,
            BytesSent = (ulong)sender.OctetsSent,
            FramesDropped = (ulong)sender.FramesDropped,
        };
        if (sender.LastReport is { } report)
        {
            described.ReportedFractionLost = report.FractionLost / 256.0;
            described.ReportedJitterMs = report.Jitter / 90.0;
        }

        return described;
    }

    private static string Plain(System.Net.IPAddress address) => (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}
