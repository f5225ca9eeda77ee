using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Hosting;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Rtcp;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Sessions;

/// <summary>
/// The life of sessions: creation, RTCP sender reports, expiry, and closing (with a BYE, releasing the hub
/// subscription and the transport). The one place a session ends, whatever ended it.
/// </summary>
internal sealed class SessionManager(
    SessionRegistry registry,
    StreamHubRegistry hubs,
    UdpRtpServer udp,
    EdgeMetrics metrics,
    IOptions<EdgeOptions> options,
    TimeProvider time,
    ILogger<SessionManager> logger)
{
    private const string Cname = "grpcstream-edge";
    private readonly RtspSettings _settings = options.Value.Rtsp;

    public SessionRegistry Registry => registry;

    public RtspSession Create(StreamHub hub, SessionTransport transport, Rtsp.RtspConnection connection, bool isLab)
    {
        var session = new RtspSession(SessionRegistry.NewId(), hub, transport, connection, isLab, time.GetTimestamp());
        registry.Add(session);
        connection.Attach(session);
        if (transport is UdpSessionTransport udpTransport)
        {
            udp.Register(udpTransport.RtcpEndPoint, session);
        }

        metrics.SessionOpened(transport.Kind, hub.Name);
        EdgeLog.SessionCreated(logger, session.Id, hub.Name, transport.Kind, connection.Remote.ToString());
        return session;
    }

    public void Close(RtspSession session, string reason)
    {
        if (!registry.Remove(session))
        {
            return;
        }

        session.Hub.Pause(session);
        SendReport(session, bye: true);
        if (session.Transport is UdpSessionTransport udpTransport)
        {
            udp.Unregister(udpTransport.RtcpEndPoint, session);
        }

        session.Transport.Close();
        session.Connection.Detach(session);
        hubs.Release(session.Hub);
        metrics.SessionClosed(session.Transport.Kind, session.Hub.Name);
        EdgeLog.SessionClosed(logger, session.Id, reason, session.FramesSent, session.PacketsSent, session.FramesDropped);
    }

    /// <summary>Closes expired sessions and sends sender reports that are due; called about once a second.</summary>
    public void Maintain()
    {
        var now = time.GetTimestamp();
        foreach (var session in registry.All)
        {
            if (time.GetElapsedTime(session.LastActivity, now) > _settings.SessionTimeout)
            {
                Close(session, "timed out");
                continue;
            }

            if (session.State == SessionState.Playing && time.GetElapsedTime(session.LastSenderReport, now) >= _settings.SenderReportInterval)
            {
                SendReport(session, bye: false);
            }
        }
    }

    /// <summary>
    /// Sends SR + SDES (+ BYE). The SR's RTP time is the latest frame's plus the time since it arrived, so that
    /// NTP and RTP timestamps describe the same instant.
    /// </summary>
    private void SendReport(RtspSession session, bool bye)
    {
        if (session.IsLab)
        {
            return;
        }

        var now = time.GetTimestamp();
        session.LastSenderReport = now;
        uint rtpTime = 0;
        if (session.Hub.LatestTime is { } latest)
        {
            var elapsed = time.GetElapsedTime(latest.ArrivedAt, now);
            rtpTime = session.RtpTimeOf(latest.Pts + (uint)(elapsed.TotalSeconds * 90_000));
        }

        Span<byte> buffer = stackalloc byte[256];
        var info = new SenderInfo(NtpTimestamp.FromDateTime(time.GetUtcNow()), rtpTime, (uint)session.PacketsSent, (uint)session.OctetsSent);
        var length = RtcpWriter.SenderReport(buffer, session.Ssrc, info);
        length += RtcpWriter.SourceDescription(buffer[length..], session.Ssrc, Cname);
        if (bye)
        {
            length += RtcpWriter.Goodbye(buffer[length..], session.Ssrc);
        }

        session.Transport.SendRtcp(buffer[..length]);
    }
}
