using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Sdp;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Requests;

/// <summary>The session methods: SETUP, PLAY, PAUSE, TEARDOWN, and keepalives on a session.</summary>
internal sealed class SessionMethods(
    StreamHubRegistry hubs,
    SessionManager sessions,
    TransportFactory transports,
    IOptions<EdgeOptions> options)
{
    private readonly bool _allowUdpOverTls = options.Value.Rtsps.AllowUdp;

    /// <summary>A SETUP that makes a new session: limits, transport, stream, then the session.</summary>
    public async ValueTask SetupAsync(ClientContext client, RtspMessage request, RtspResponse response)
    {
        if (!StreamPaths.TryGetStream(request, out var name))
        {
            response.Status = RtspStatusCode.NotFound;
            return;
        }

        // Cheap refusals first: nothing is looked up or watched for a SETUP that cannot be served.
        sessions.EnsureRoom(client);
        if (Negotiate(client, request) is not { } transport)
        {
            response.Status = RtspStatusCode.UnsupportedTransport;
            return;
        }

        RtspSession session;
        try
        {
            // The stream must exist (and the origin answer) before a session is made for it; its first frame is
            // awaited so that PLAY starts at once, with an exact RTP-Info.
            using var lease = await hubs.AcquireAsync(name, client.Connection.Closed).ConfigureAwait(false);
            session = sessions.Create(client, lease, transport);
        }
        catch
        {
            transport.Detach();
            throw;
        }

        response.Session = session;
        response.Headers.Add((TransportHeader.Name, transport.Describe(session.Sender.Ssrc)));
    }

    /// <summary>A request on an existing session, once the state machine allows it.</summary>
    public void Apply(ClientContext client, RtspSession session, RtspMessage request, RtspResponse response)
    {
        if (request.Method == RtspMethod.Play && request.GetHeader(RangeHeader.Name) is { } range && !IsValidRange(range))
        {
            response.Status = RtspStatusCode.InvalidRange;
            return;
        }

        if (request.Method == RtspMethod.Setup && (!StreamPaths.TryGetStream(request, out var name) || name != session.Feed.Name))
        {
            // One track per stream: a second SETUP on a session can only restate it.
            response.Status = RtspStatusCode.SessionNotFound;
            return;
        }

        if (!sessions.Apply(session, request.Method))
        {
            response.Headers.Add(("Allow", SessionStateMachine.Allowed(session.State)));
            response.Status = RtspStatusCode.MethodNotValidInThisState;
            return;
        }

        switch (request.Method)
        {
            case RtspMethod.Setup:
                response.Headers.Add((TransportHeader.Name, session.Transport.Describe(session.Sender.Ssrc)));
                break;
            case RtspMethod.Play:
                Play(client, session, request, response);
                break;
            case RtspMethod.Teardown:
                response.SessionTimeout = false;
                sessions.Close(session, SessionEndReason.Teardown);
                break;
        }
    }

    private static void Play(ClientContext client, RtspSession session, RtspMessage request, RtspResponse response)
    {
        // A live stream plays from now, whatever range was asked for. The first packet sent is the latest
        // frame's: its sequence number and RTP time are known now.
        response.Headers.Add((RangeHeader.Name, RangeHeader.Live.ToString()));
        uint? rtpTime = session.Feed.LatestTime is { } latest ? session.Sender.RtpTimeOf(latest.Pts) : null;
        var trackUrl = StreamPaths.BaseUrl(client.Connection, request, session.Feed.Name) + JpegSessionDescription.TrackControl;
        response.Headers.Add((RtpInfoHeader.Name, RtpInfoHeader.Format([new RtpInfoEntry(trackUrl, session.Sender.NextSequence, rtpTime)])));
        response.Then = AfterResponse.StartFrames;
    }

    private static bool IsValidRange(string range)
    {
        try
        {
            RangeHeader.Parse(range);
            return true;
        }
        catch (RtspHeaderException)
        {
            return false;
        }
    }

    /// <summary>The first alternative offered that the client's dialect and the edge can serve.</summary>
    private IMediaTransport? Negotiate(ClientContext client, RtspMessage request)
    {
        IReadOnlyList<TransportSpec> offered;
        try
        {
            offered = TransportHeader.Parse(request.GetHeader(TransportHeader.Name) ?? string.Empty);
        }
        catch (RtspHeaderException)
        {
            return null;
        }

        foreach (var spec in offered)
        {
            // RTP over UDP from an RTSPS connection would travel in clear while its user believes it protected.
            if (client.Connection.IsSecure && spec.LowerTransport == LowerTransport.Udp && !_allowUdpOverTls)
            {
                continue;
            }

            if (client.Dialect.TryCreateTransport(spec, transports, client) is { } transport)
            {
                return transport;
            }
        }

        return null;
    }
}
