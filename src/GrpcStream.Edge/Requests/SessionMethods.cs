using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Sdp;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Requests;

/// <summary>A player's session methods: SETUP, PLAY, PAUSE, TEARDOWN, and keepalives on its session.</summary>
internal sealed class SessionMethods(
    StreamHubRegistry hubs,
    SessionManager sessions,
    TransportFactory transports,
    IOptions<EdgeOptions> options)
{
    private readonly bool _allowUdpOverTls = options.Value.Rtsps.AllowUdp;

    /// <summary>A SETUP that makes a new session: limits, transport, stream, then the session.</summary>
    public async ValueTask<RtspResponse> SetupAsync(ClientContext client, RtspMessage request)
    {
        if (!StreamPaths.TryGetStream(request, out var name))
        {
            return new RtspResponse(RtspStatusCode.NotFound);
        }

        // Cheap refusals first: nothing is looked up or watched for a SETUP that cannot be served.
        sessions.EnsureRoom(client);
        if (Negotiate(client, request) is not { } transport)
        {
            return new RtspResponse(RtspStatusCode.UnsupportedTransport);
        }

        Session session;
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

        return RtspResponse.Ok.With(TransportHeader.Name, transport.Describe(session.Player.Sender.Ssrc)) with { Session = session };
    }

    /// <summary>A request on a player's session, taken through its state machine.</summary>
    public RtspResponse Apply(ClientContext client, Session session, RtspMessage request)
    {
        RangeHeader? range = null;
        if (request.Method == RtspMethod.Play && request.GetHeader(RangeHeader.Name) is { } asked)
        {
            range = TryParseRange(asked);
            if (range is not { } parsed || !Serves(session.Player.Source, parsed))
            {
                return new RtspResponse(RtspStatusCode.InvalidRange);
            }
        }

        if (request.Method == RtspMethod.Setup && (!StreamPaths.TryGetStream(request, out var name) || name != session.Stream))
        {
            // One track per stream: a second SETUP on a session can only restate it.
            return new RtspResponse(RtspStatusCode.SessionNotFound);
        }

        if (!sessions.Apply(session, request.Method))
        {
            return RtspResponse.Of(RtspStatusCode.MethodNotValidInThisState, "Allow", session.Allowed);
        }

        var media = session.Player;
        switch (request.Method)
        {
            case RtspMethod.Setup:
                return RtspResponse.Ok.With(TransportHeader.Name, media.Transport.Describe(media.Sender.Ssrc));
            case RtspMethod.Play:
                return Play(client, media, request, range);
            case RtspMethod.Teardown:
                sessions.Close(session, SessionEndReason.Teardown);
                return RtspResponse.Ok with { SessionTimeout = false };
            default:
                return RtspResponse.Ok;
        }
    }

    /// <summary>
    /// PLAY: a live stream plays from now, whatever range was asked, starting with the latest frame. A film plays
    /// from where its session is (the next frame after the last one sent, after a PAUSE), or from the Range's start:
    /// each play of a film is a new play, whose sequence numbers go on and whose RTP time is re-based to follow the
    /// last frame sent by the time gone since (as live555 does), as RTP-Info announces. Either way the first
    /// packet's sequence number and RTP time are known now.
    /// </summary>
    private static RtspResponse Play(ClientContext client, PlayMedia media, RtspMessage request, RangeHeader? asked)
    {
        var source = media.Source;
        if (!source.IsLive)
        {
            // Stopped while the answer is made (a PLAY while playing included): nothing of the old place goes out
            // after it, and the RTP clock is re-based while nothing is sent, so that the new play's RTP time
            // follows the wall clock from the last frame sent, as RTP-Info says and sender reports go on saying.
            source.Pause(media);
            if (asked is { Start: { } start })
            {
                source.Seek(start);
            }

            if (source.NextPts is { } pts)
            {
                media.Sender.Rebase(pts);
            }
        }

        uint? rtpTime = source.NextPts is { } next ? media.Sender.RtpTimeOf(next) : null;
        var trackUrl = StreamPaths.BaseUrl(client.Connection, request, media.Stream) + JpegSessionDescription.TrackControl;
        var range = source.IsLive ? RangeHeader.Live : new RangeHeader(source.Position, source.Duration);
        return RtspResponse.Ok
            .With(RangeHeader.Name, range.ToString())
            .With(RtpInfoHeader.Name, RtpInfoHeader.Format([new RtpInfoEntry(trackUrl, media.Sender.NextSequence, rtpTime)])) with
        {
            Then = AfterResponse.StartFrames,
        };
    }

    /// <summary>
    /// Whether <paramref name="source"/> can play <paramref name="range"/>: any range on a live stream (it plays
    /// from now); on a film, one with a start (<c>npt=-5</c> is not), or <c>now-</c> (from where it is).
    /// </summary>
    private static bool Serves(IFrameSource source, RangeHeader range) =>
        source.IsLive || range.StartsNow || range.Start is not null;

    private static RangeHeader? TryParseRange(string range)
    {
        try
        {
            return RangeHeader.Parse(range);
        }
        catch (RtspHeaderException)
        {
            return null;
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
