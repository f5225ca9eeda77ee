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

    public async ValueTask AnnounceAsync(ClientContext client, RtspMessage request, RtspResponse response)
    {
        if (!StreamPaths.TryGetStream(request, out var name) || !name.Contains('/', StringComparison.Ordinal))
        {
            // Published streams are path-like (live/cam1); the origin says which prefix.
            response.Status = RtspStatusCode.BadRequest;
            return;
        }

        if (client.Recording is not null)
        {
            response.Status = RtspStatusCode.MethodNotValidInThisState;
            return;
        }

        if (!string.Equals(request.GetHeader("Content-Type"), "application/sdp", StringComparison.OrdinalIgnoreCase)
            || Describe(request) is not { } track)
        {
            response.Status = RtspStatusCode.UnsupportedMediaType;
            return;
        }

        if (Interlocked.Increment(ref _publishers) > _settings.MaxPublishers)
        {
            Interlocked.Decrement(ref _publishers);
            metrics.PublishRefused("max_publishers");
            response.Status = RtspStatusCode.ServiceUnavailable;
            return;
        }

        RecordSession? session = null;
        var publication = publisher.Create(name, track.FrameRate, _settings.MaxQueuedFrames, _closeTimeout, () =>
        {
            metrics.PublishedFrameDropped("queue_full");
            session?.QueueDropped();
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
            Refuse(name, refused, response);
            return;
        }

        session = new RecordSession(SessionRegistry.NewId(), client, name, RecordSession.Normalize(request.Uri), track.FrameRate, track.PayloadType, track.Size, _settings.MaxFrameBytes, publication, metrics, time);
        client.Recording = session;
        sessions.AddPublisher(session);
        metrics.PublisherStarted();
        EdgeLog.PublishAnnounced(logger, client.Connection.Remote.ToString(), name, track.FrameRate);
    }

    /// <summary>
    /// SETUP of the announced track, in the client's order of preference: interleaved channels for its RTP, or UDP,
    /// where its RTP comes to the edge's shared RTP port from the client's address and its first client port.
    /// </summary>
    public void Setup(ClientContext client, RecordSession session, RtspMessage request, RtspResponse response)
    {
        if (RefusedByOrigin(session, response) || !InState(session, RecordState.Announced, response))
        {
            return;
        }

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
            session.RtpChannel = channel;
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
            if (!udp.TryRegisterPublisher(source, session))
            {
                metrics.LimitHit(EdgeLimits.PublisherPorts);
                EdgeLog.SetupRefused(logger, client.Connection.Remote.ToString(), $"client ports {ports.First}-{ports.Second} are another publishing session's");
                response.Status = RtspStatusCode.UnsupportedTransport;
                return;
            }

            session.UdpSource = source;
            answer = new TransportSpec
            {
                ClientPorts = ports,
                ServerPorts = new NumberRange(udp.RtpPort, udp.RtcpPort),
                Mode = "record",
            };
        }
        else
        {
            response.Status = RtspStatusCode.UnsupportedTransport;
            return;
        }

        session.State = RecordState.Ready;
        response.Session = session;
        response.Headers.Add((TransportHeader.Name, answer.ToString()));
    }

    /// <summary>True while a UDP publisher's datagrams keep coming: its RTSP connection is idle meanwhile and must not be closed as silent.</summary>
    public bool ReceivingOverUdp(RecordSession session) =>
        session.UdpSource is not null && time.GetElapsedTime(session.LastDatagramAt) < _silentAfter;

    public void Record(RecordSession session, RtspResponse response)
    {
        response.Session = session;
        if (RefusedByOrigin(session, response) || !InState(session, RecordState.Ready, response))
        {
            return;
        }

        session.State = RecordState.Recording;
        sessions.Recording(session, recording: true);
        EdgeLog.PublishRecording(logger, session.Name);
    }

    /// <summary>PAUSE while recording (GStreamer's rtspclientsink sends it before TEARDOWN): packets are ignored until RECORD.</summary>
    public void Pause(RecordSession session, RtspResponse response)
    {
        response.Session = session;
        if (InState(session, RecordState.Recording, response))
        {
            session.State = RecordState.Ready;
            sessions.Recording(session, recording: false);
        }
    }

    /// <summary>Ends the connection's publication (TEARDOWN, or the connection closing).</summary>
    public async ValueTask EndAsync(ClientContext client, SessionEndReason reason)
    {
        if (client.Recording is not { } session)
        {
            return;
        }

        client.Recording = null;
        if (session.RtpChannel is { } channel)
        {
            client.Channels.Release(channel);
        }

        if (session.UdpSource is { } source)
        {
            udp.UnregisterPublisher(source, session);
        }

        sessions.Ended(session, reason);
        await session.DisposeAsync().ConfigureAwait(false);
        Interlocked.Decrement(ref _publishers);
        metrics.PublisherEnded();
        var why = reason == SessionEndReason.Teardown ? "teardown" : "the connection closed";
        EdgeLog.PublishEnded(logger, session.Name, why, session.FramesForwarded, session.OriginFailure?.Detail ?? "none");
    }

    private static bool InState(RecordSession session, RecordState state, RtspResponse response)
    {
        if (session.State == state)
        {
            return true;
        }

        response.Headers.Add(("Allow", session.State switch
        {
            RecordState.Announced => "SETUP, TEARDOWN",
            RecordState.Ready => "RECORD, TEARDOWN",
            _ => "PAUSE, TEARDOWN",
        }));
        response.Status = RtspStatusCode.MethodNotValidInThisState;
        return false;
    }

    // The origin refused the stream (another publisher, a bad name, the edge's credentials): every request says so.
    private bool RefusedByOrigin(RecordSession session, RtspResponse response)
    {
        if (session.OriginFailure is not { } failure)
        {
            return false;
        }

        Refuse(session.Name, failure, response);
        return true;
    }

    private void Refuse(string name, Status failure, RtspResponse response)
    {
        response.Status = failure.StatusCode switch
        {
            StatusCode.AlreadyExists => RtspStatusCode.Forbidden,
            StatusCode.InvalidArgument => RtspStatusCode.BadRequest,
            StatusCode.ResourceExhausted or StatusCode.Unavailable => RtspStatusCode.ServiceUnavailable,
            _ => RtspStatusCode.BadGateway,
        };
        metrics.PublishRefused("origin");
        EdgeLog.PublishRefusedByOrigin(logger, name, failure.StatusCode.ToString(), failure.Detail);
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
