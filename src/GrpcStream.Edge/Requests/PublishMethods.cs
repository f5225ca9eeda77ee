using System.Net;
using System.Text;
using Grpc.Core;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Sdp;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Requests;

/// <summary>
/// Publishing over RTSP (RFC 2326 §10.3, §10.11): ANNOUNCE with an SDP of one JPEG track starts a publication at the
/// origin, SETUP with <c>mode=record</c> takes the interleaved channels the RTP will come on, RECORD lets it through,
/// TEARDOWN (or the connection closing) ends it, and the origin holds the stream for the publisher to come back.
/// </summary>
internal sealed class PublishMethods(Origin.OriginPublisher publisher, UdpRtpServer udp, SessionManager sessions, EdgeMetrics metrics, IOptions<EdgeOptions> options, TimeProvider time, ILogger<PublishMethods> logger)
{
    private readonly TimeSpan _silentAfter = options.Value.Rtsp.SessionTimeout;
    private readonly PublishSettings _settings = options.Value.Publish;
    private readonly TimeSpan _closeTimeout = options.Value.Origin.DescribeTimeout;
    private int _publishers;

    public async ValueTask<RtspResponse> AnnounceAsync(ClientContext client, RtspMessage request)
    {
        if (!StreamPaths.TryGetStream(request, out var name) || !name.Contains('/', StringComparison.Ordinal))
        {
            // Published streams are path-like (live/cam1); the origin says which prefix.
            return new RtspResponse(RtspStatusCode.BadRequest);
        }

        if (client.Publisher is not null)
        {
            return new RtspResponse(RtspStatusCode.MethodNotValidInThisState);
        }

        if (!string.Equals(request.GetHeader("Content-Type"), "application/sdp", StringComparison.OrdinalIgnoreCase)
            || Describe(request) is not { } track)
        {
            return new RtspResponse(RtspStatusCode.UnsupportedMediaType);
        }

        if (Interlocked.Increment(ref _publishers) > _settings.MaxPublishers)
        {
            Interlocked.Decrement(ref _publishers);
            metrics.PublishRefused("max_publishers");
            return new RtspResponse(RtspStatusCode.ServiceUnavailable);
        }

        RecordMedia? media = null;
        var publication = publisher.Create(name, track.FrameRate, _settings.MaxQueuedFrames, _closeTimeout, () =>
        {
            metrics.PublishedFrameDropped("queue_full");
            media?.QueueDropped();
        });
        publication.Start();
        Status? refusal;
        try
        {
            // The answer waits for the origin's: another publisher of the name, or a name it refuses, is told now.
            refusal = await publication.AcceptedAsync(client.Connection.Closed).ConfigureAwait(false);
        }
        catch
        {
            // The connection closed while the origin was asked: nothing of the publication stays.
            await publication.DisposeAsync().ConfigureAwait(false);
            Interlocked.Decrement(ref _publishers);
            throw;
        }

        if (refusal is { } refused)
        {
            await publication.DisposeAsync().ConfigureAwait(false);
            Interlocked.Decrement(ref _publishers);
            return Refuse(name, refused);
        }

        media = new RecordMedia(name, RecordMedia.Normalize(request.Uri), track.FrameRate, track.PayloadType, track.Size, _settings.MaxFrameBytes, publication, metrics, time);
        var session = Session.ForPublisher(SessionRegistry.NewId(), client, media, time);
        client.Publisher = session;
        sessions.AddPublisher(session);
        metrics.PublisherStarted();
        EdgeLog.PublishAnnounced(logger, client.Connection.Remote.ToString(), name, track.FrameRate);
        return RtspResponse.Ok;
    }

    /// <summary>A request on a publisher's session, taken through its state machine.</summary>
    public async ValueTask<RtspResponse> ApplyAsync(ClientContext client, Session session, RtspMessage request)
    {
        var media = session.Recorder;
        if (request.Method == RtspMethod.Setup && !media.Addresses(request.Uri))
        {
            // One track per stream, as for players.
            return new RtspResponse(RtspStatusCode.SessionNotFound);
        }

        // Once the origin has refused the stream (another publisher, a bad name, the edge's credentials), every SETUP
        // and RECORD says so.
        if (request.Method is RtspMethod.Setup or RtspMethod.Record && media.OriginFailure is { } failure)
        {
            return Refuse(media.Name, failure);
        }

        if (!session.Allows(request.Method))
        {
            return RtspResponse.Of(RtspStatusCode.MethodNotValidInThisState, "Allow", session.Allowed);
        }

        // A SETUP whose transport cannot be served leaves the session as it was.
        var answer = request.Method == RtspMethod.Setup ? Setup(client, media, request) : RtspResponse.Ok;
        if (answer.Status != RtspStatusCode.Ok)
        {
            return answer;
        }

        sessions.Apply(session, request.Method);
        switch (request.Method)
        {
            case RtspMethod.Record:
                EdgeLog.PublishRecording(logger, media.Name);
                break;
            case RtspMethod.Teardown:
                await EndAsync(client, SessionEndReason.Teardown).ConfigureAwait(false);
                return answer with { SessionTimeout = false };
        }

        return answer;
    }

    /// <summary>
    /// SETUP of the announced track, in the client's order of preference: interleaved channels for its RTP, or UDP,
    /// where its RTP comes to the edge's shared RTP port from the client's address and its first client port.
    /// </summary>
    private RtspResponse Setup(ClientContext client, RecordMedia media, RtspMessage request)
    {
        TransportSpec? spec;
        try
        {
            spec = TransportHeader.Parse(request.GetHeader(TransportHeader.Name) ?? string.Empty)
                .FirstOrDefault(s => s.IsRtpAvp && !s.IsMulticast
                    && (s.LowerTransport == LowerTransport.Tcp || s.ClientPorts is { First: > 0 and < 65535 }));
        }
        catch (RtspHeaderException)
        {
            spec = null;
        }

        TransportSpec answer;
        if (spec is { LowerTransport: LowerTransport.Tcp } && client.Channels.TryReserve(spec.Interleaved?.First) is { } channel)
        {
            media.RtpChannel = channel;
            answer = new TransportSpec
            {
                Profile = "RTP/AVP/TCP",
                LowerTransport = LowerTransport.Tcp,
                Interleaved = new NumberRange(channel, channel + 1),
                Mode = "record",
            };
        }
        else if (spec is { LowerTransport: not LowerTransport.Tcp, ClientPorts: { } ports })
        {
            // Only the connection's own address is listened to, whatever the request says about destinations, and
            // a source another publishing session holds stays its own: a second session from the address cannot
            // take over the first one's RTP.
            var source = new IPEndPoint(client.Connection.Remote.Address, ports.First);
            if (!udp.TryRegisterPublisher(source, media))
            {
                metrics.LimitHit(EdgeLimits.PublisherPorts);
                EdgeLog.SetupRefused(logger, client.Connection.Remote.ToString(), $"client ports {ports.First}-{ports.Second} are another publishing session's");
                return new RtspResponse(RtspStatusCode.UnsupportedTransport);
            }

            media.UdpSource = source;
            answer = new TransportSpec
            {
                ClientPorts = ports,
                ServerPorts = new NumberRange(udp.RtpPort, udp.RtcpPort),
                Mode = "record",
            };
        }
        else
        {
            return new RtspResponse(RtspStatusCode.UnsupportedTransport);
        }

        return RtspResponse.Ok.With(TransportHeader.Name, answer.ToString());
    }

    /// <summary>True while a UDP publisher's datagrams keep coming: its RTSP connection is idle meanwhile and must not be closed as silent.</summary>
    public bool ReceivingOverUdp(RecordMedia media) =>
        media.UdpSource is not null && time.GetElapsedTime(media.LastDatagramAt) < _silentAfter;

    /// <summary>Ends the connection's publication (TEARDOWN, or the connection closing).</summary>
    public async ValueTask EndAsync(ClientContext client, SessionEndReason reason)
    {
        if (client.Publisher is not { } session)
        {
            return;
        }

        client.Publisher = null;
        var media = session.Recorder;
        if (media.RtpChannel is { } channel)
        {
            client.Channels.Release(channel);
        }

        if (media.UdpSource is { } source)
        {
            udp.UnregisterPublisher(source, media);
        }

        // Its media stops (TEARDOWN has stopped it already), then the session leaves the registry.
        session.TryApply(RtspMethod.Teardown);
        sessions.Ended(session, reason);
        await media.DisposeAsync().ConfigureAwait(false);
        Interlocked.Decrement(ref _publishers);
        metrics.PublisherEnded();
        var why = reason == SessionEndReason.Teardown ? "teardown" : "the connection closed";
        EdgeLog.PublishEnded(logger, media.Name, why, media.FramesForwarded, media.OriginFailure?.Detail ?? "none");
    }

    private RtspResponse Refuse(string name, Status failure)
    {
        var status = failure.StatusCode switch
        {
            StatusCode.AlreadyExists => RtspStatusCode.Forbidden,
            StatusCode.InvalidArgument => RtspStatusCode.BadRequest,
            StatusCode.ResourceExhausted or StatusCode.Unavailable => RtspStatusCode.ServiceUnavailable,
            _ => RtspStatusCode.BadGateway,
        };
        metrics.PublishRefused("origin");
        EdgeLog.PublishRefusedByOrigin(logger, name, failure.StatusCode.ToString(), failure.Detail);
        return new RtspResponse(status);
    }

    /// <summary>The announced JPEG track, or null when the description has none.</summary>
    private static AnnouncedTrack? Describe(RtspMessage request)
    {
        SessionDescription sdp;
        try
        {
            sdp = SessionDescription.Parse(Encoding.UTF8.GetString(request.Body.Span));
        }
        catch (FormatException)
        {
            return null;
        }

        var video = sdp.Media.FirstOrDefault(m => m.Media == "video" && m.PayloadType is { } pt && (pt == 26 || m.RtpMap(pt)?.Encoding.Equals("JPEG", StringComparison.OrdinalIgnoreCase) == true));
        if (video?.PayloadType is not { } payloadType || payloadType is < 0 or > 127)
        {
            return null;
        }

        // Without a=framerate the origin's clock runs at 25 frames a second, the common rate.
        var rate = video.FrameRate is { } r && double.IsFinite(r) && r > 0 && r <= 240 ? r : 25;
        return new AnnouncedTrack(rate, (byte)payloadType, video.Dimensions);
    }

    private sealed record AnnouncedTrack(double FrameRate, byte PayloadType, (int Width, int Height)? Size);
}
