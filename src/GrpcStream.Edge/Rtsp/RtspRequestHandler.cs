using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Hosting;
using GrpcStream.Edge.OriginLink;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Sdp;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Rtsp;

/// <summary>
/// The RTSP methods, and the session state machine of RFC 2326 appendix A.1: a method in the wrong state is
/// 455 with the methods that are allowed, an unknown session 454, an unusable transport 461, an unknown
/// stream 404, an unreachable origin 503 with Retry-After.
/// </summary>
internal sealed class RtspRequestHandler(
    OriginLink.OriginLink origin,
    StreamHubRegistry hubs,
    SessionManager sessions,
    UdpRtpServer udp,
    EdgeMetrics metrics,
    IOptions<EdgeOptions> options,
    TimeProvider time)
{
    public const string PublicMethods = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER";
    private const string ReadyMethods = "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER, SET_PARAMETER";
    private const string PlayingMethods = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER";

    private readonly RtspSettings _settings = options.Value.Rtsp;

    public async Task HandleAsync(RtspConnection connection, RtspMessage request)
    {
        if (!request.IsRequest)
        {
            return; // a response from the client (to nothing we asked): ignored
        }

        var response = new Response(request.CSeq, connection.IsLab, (int)_settings.SessionTimeout.TotalSeconds);
        Action? afterResponse = null;
        if (request.CSeq < 0)
        {
            response.Status = RtspStatusCode.BadRequest;
        }
        else
        {
            try
            {
                afterResponse = request.Method switch
                {
                    RtspMethod.Options => Options(response),
                    RtspMethod.Describe => await DescribeAsync(connection, request, response),
                    RtspMethod.Setup => await SetupAsync(connection, request, response),
                    RtspMethod.Play => Play(connection, request, response),
                    RtspMethod.Pause => Pause(connection, request, response),
                    RtspMethod.Teardown => Teardown(connection, request, response),
                    RtspMethod.GetParameter or RtspMethod.SetParameter => KeepAlive(connection, request, response),
                    RtspMethod.Unknown => Status(response, RtspStatusCode.NotImplemented),
                    _ => MethodNotAllowed(response),
                };
            }
            catch (OriginUnavailableException)
            {
                response.Status = RtspStatusCode.ServiceUnavailable;
                response.Headers.Add(("Retry-After", "5"));
            }
            catch (StreamNotFoundException)
            {
                response.Status = RtspStatusCode.NotFound;
            }
        }

        if (response.Status >= 400)
        {
            metrics.BadRequest();
        }

        connection.Send(response.ToBytes());
        afterResponse?.Invoke();
    }

    private static Action? Options(Response response)
    {
        response.Headers.Add(("Public", PublicMethods));
        return null;
    }

    private async Task<Action?> DescribeAsync(RtspConnection connection, RtspMessage request, Response response)
    {
        if (!TryGetStream(request, out var name))
        {
            return Status(response, RtspStatusCode.NotFound);
        }

        var description = await origin.DescribeAsync(name, connection.Closed);
        var sdp = JpegSessionDescription.Create(
            name,
            description.FrameRate,
            (int)description.Width,
            (int)description.Height,
            (ulong)time.GetUtcNow().ToUnixTimeMilliseconds(),
            (connection.Local.Address.IsIPv4MappedToIPv6 ? connection.Local.Address.MapToIPv4() : connection.Local.Address).ToString());
        response.Headers.Add(("Content-Base", BaseUrl(connection, request, name)));
        response.ContentType = "application/sdp";
        response.Body = Encoding.UTF8.GetBytes(sdp.ToString());
        return null;
    }

    private async Task<Action?> SetupAsync(RtspConnection connection, RtspMessage request, Response response)
    {
        if (!TryGetStream(request, out var name))
        {
            return Status(response, RtspStatusCode.NotFound);
        }

        if (request.GetHeader(SessionHeader.Name) is { } sessionText)
        {
            // One track per stream: a second SETUP on a session can only restate it.
            if (!TryGetSession(connection, sessionText, out var existing) || existing.Hub.Name != name)
            {
                return Status(response, RtspStatusCode.SessionNotFound);
            }

            existing.Touch(time.GetTimestamp());
            response.Session = existing;
            response.Headers.Add((TransportHeader.Name, existing.Transport is InterleavedTransport t
                ? new TransportSpec { LowerTransport = LowerTransport.Tcp, Interleaved = new NumberRange(t.RtpChannel, t.RtcpChannel), Ssrc = existing.Ssrc }.ToString()
                : DescribeUdp(existing)));
            return null;
        }

        IReadOnlyList<TransportSpec> offered;
        try
        {
            offered = TransportHeader.Parse(request.GetHeader(TransportHeader.Name) ?? string.Empty);
        }
        catch (RtspHeaderException)
        {
            return Status(response, RtspStatusCode.UnsupportedTransport);
        }

        var choice = Choose(connection, offered);
        if (choice is null)
        {
            return Status(response, RtspStatusCode.UnsupportedTransport);
        }

        // The stream must exist (and the origin answer) before a session is made for it; a hub that is receiving
        // frames already says so, without another round trip to the origin.
        if (!hubs.IsLive(name))
        {
            await origin.DescribeAsync(name, connection.Closed);
        }

        var hub = hubs.Acquire(name);
        await hub.WaitForFirstFrameAsync(options.Value.Origin.DescribeTimeout, time, connection.Closed);
        var (spec, isLab) = choice.Value;
        SessionTransport transport;
        string transportText;
        if (spec.LowerTransport == LowerTransport.Tcp)
        {
            var channels = spec.Interleaved ?? NextChannels(connection);
            transport = new InterleavedTransport(connection, metrics, (byte)channels.First, (byte)channels.Second, _settings.TcpQueueFrames);
            transportText = new TransportSpec { LowerTransport = LowerTransport.Tcp, Interleaved = channels }.ToString();
        }
        else
        {
            var client = connection.Remote.Address;
            var ports = spec.ClientPorts!.Value;
            if (isLab)
            {
                transport = new LabUdpTransport(udp, metrics, new IPEndPoint(client, ports.First));
                transportText = $"RTP/UDP;unicast;client_port={ports.First};server_port={udp.RtpPort}";
            }
            else
            {
                var rtcpPort = ports.Second != ports.First ? ports.Second : ports.First + 1;
                transport = new UdpSessionTransport(udp, metrics, new IPEndPoint(client, ports.First), new IPEndPoint(client, rtcpPort));
                transportText = new TransportSpec { ClientPorts = new NumberRange(ports.First, rtcpPort), ServerPorts = new NumberRange(udp.RtpPort, udp.RtcpPort) }.ToString();
            }
        }

        var session = sessions.Create(hub, transport, connection, isLab);
        response.Session = session;
        response.Headers.Add((TransportHeader.Name, isLab ? transportText : $"{transportText};ssrc={session.Ssrc:X8}"));
        return null;
    }

    private static (TransportSpec Spec, bool IsLab)? Choose(RtspConnection connection, IReadOnlyList<TransportSpec> offered)
    {
        foreach (var spec in offered)
        {
            if (spec.IsMulticast || spec.Mode is not (null or "PLAY"))
            {
                continue;
            }

            if (spec.LowerTransport == LowerTransport.Tcp && spec.IsRtpAvp)
            {
                if (spec.Interleaved is { } channels && (channels.Second != channels.First + 1 || ChannelsInUse(connection, channels.First)))
                {
                    continue;
                }

                return (spec, false);
            }

            if (spec.LowerTransport == LowerTransport.Udp && spec.ClientPorts is { First: > 0 } ports && ports.Second < 65535)
            {
                if (spec.IsRtpAvp)
                {
                    return (spec, false);
                }

                if (connection.IsLab && spec.Profile == "RTP/UDP")
                {
                    return (spec, true);
                }
            }
        }

        return null;
    }

    private static bool ChannelsInUse(RtspConnection connection, int first) =>
        connection.Sessions.Any(s => s.Transport is InterleavedTransport t && (t.RtpChannel == first || t.RtcpChannel == first));

    private static NumberRange NextChannels(RtspConnection connection)
    {
        for (var first = 0; first < 254; first += 2)
        {
            if (!ChannelsInUse(connection, first))
            {
                return new NumberRange(first, first + 1);
            }
        }

        throw new InvalidOperationException("No interleaved channels left on this connection.");
    }

    private string DescribeUdp(RtspSession session) => session.Transport switch
    {
        UdpSessionTransport t => new TransportSpec
        {
            ClientPorts = new NumberRange(t.RtpEndPoint.Port, t.RtcpEndPoint.Port),
            ServerPorts = new NumberRange(udp.RtpPort, udp.RtcpPort),
            Ssrc = session.Ssrc,
        }.ToString(),
        LabUdpTransport t => $"RTP/UDP;unicast;client_port={t.RtpEndPoint.Port};server_port={udp.RtpPort}",
        _ => string.Empty,
    };

    private Action? Play(RtspConnection connection, RtspMessage request, Response response)
    {
        if (!TryGetSession(connection, request.GetHeader(SessionHeader.Name), out var session))
        {
            return Status(response, RtspStatusCode.SessionNotFound);
        }

        session.Touch(time.GetTimestamp());
        response.Session = session;
        if (request.GetHeader(RangeHeader.Name) is { } range)
        {
            try
            {
                RangeHeader.Parse(range);
            }
            catch (RtspHeaderException)
            {
                return Status(response, RtspStatusCode.InvalidRange);
            }
        }

        // A live stream plays from now, whatever range was asked for.
        response.Headers.Add((RangeHeader.Name, RangeHeader.Live.ToString()));
        // The first packet sent is the latest frame's: its sequence number and RTP time are known now.
        uint? rtpTime = session.Hub.LatestTime is { } latest ? session.RtpTimeOf(latest.Pts) : null;
        var trackUrl = BaseUrl(connection, request, session.Hub.Name) + JpegSessionDescription.TrackControl;
        response.Headers.Add((RtpInfoHeader.Name, RtpInfoHeader.Format([new RtpInfoEntry(trackUrl, session.NextSequence, rtpTime)])));
        if (session.State == SessionState.Playing)
        {
            return null;
        }

        session.State = SessionState.Playing;
        return () => session.Hub.Play(session);
    }

    private Action? Pause(RtspConnection connection, RtspMessage request, Response response)
    {
        if (!TryGetSession(connection, request.GetHeader(SessionHeader.Name), out var session))
        {
            return Status(response, RtspStatusCode.SessionNotFound);
        }

        session.Touch(time.GetTimestamp());
        response.Session = session;
        if (session.State != SessionState.Playing)
        {
            response.Headers.Add(("Allow", ReadyMethods));
            return Status(response, RtspStatusCode.MethodNotValidInThisState);
        }

        session.Hub.Pause(session);
        session.State = SessionState.Ready;
        return null;
    }

    private Action? Teardown(RtspConnection connection, RtspMessage request, Response response)
    {
        if (!TryGetSession(connection, request.GetHeader(SessionHeader.Name), out var session))
        {
            return Status(response, RtspStatusCode.SessionNotFound);
        }

        response.Session = session;
        response.SessionTimeout = false;
        sessions.Close(session, "teardown");
        return null;
    }

    private Action? KeepAlive(RtspConnection connection, RtspMessage request, Response response)
    {
        if (request.GetHeader(SessionHeader.Name) is { } text)
        {
            if (!TryGetSession(connection, text, out var session))
            {
                return Status(response, RtspStatusCode.SessionNotFound);
            }

            session.Touch(time.GetTimestamp());
            response.Session = session;
        }

        return null;
    }

    private static Action? MethodNotAllowed(Response response)
    {
        response.Headers.Add(("Allow", PublicMethods));
        return Status(response, RtspStatusCode.MethodNotAllowed);
    }

    private static Action? Status(Response response, int status)
    {
        response.Status = status;
        return null;
    }

    /// <summary>A session of this connection: another client's session id is as unknown as a made-up one.</summary>
    private bool TryGetSession(RtspConnection connection, string? header, out RtspSession session)
    {
        session = null!;
        if (header is null)
        {
            return false;
        }

        SessionHeader parsed;
        try
        {
            parsed = SessionHeader.Parse(header);
        }
        catch (RtspHeaderException)
        {
            return false;
        }

        return sessions.Registry.TryGet(parsed.Id, out session) && session.Connection == connection;
    }

    /// <summary>
    /// The stream named by the request URI: rtsp://host/NAME, rtsp://host/NAME/ or rtsp://host/NAME/track1, or the
    /// lab client's bare NAME.
    /// </summary>
    private static bool TryGetStream(RtspMessage request, out string name)
    {
        name = string.Empty;
        var path = RtspUrl.TryParse(request.Uri, out var url) ? url.Path : request.Uri;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length is not (1 or 2) || (segments.Length == 2 && segments[1] != JpegSessionDescription.TrackControl))
        {
            return false;
        }

        name = segments[0];
        return name is not ("." or "..");
    }

    private static string BaseUrl(RtspConnection connection, RtspMessage request, string name)
    {
        if (RtspUrl.TryParse(request.Uri, out var url))
        {
            return new UriBuilder("rtsp", url.Host, url.Port, "/" + Uri.EscapeDataString(name) + "/").Uri.AbsoluteUri;
        }

        var local = connection.Local;
        return $"rtsp://{local.Address}:{local.Port.ToString(CultureInfo.InvariantCulture)}/{Uri.EscapeDataString(name)}/";
    }

    /// <summary>A response being put together; written in the lab dialect when the client speaks it.</summary>
    private sealed class Response(int cseq, bool lab, int timeoutSeconds)
    {
        public int Status { get; set; } = RtspStatusCode.Ok;

        public RtspSession? Session { get; set; }

        public bool SessionTimeout { get; set; } = true;

        public List<(string Name, string Value)> Headers { get; } = [];

        public string? ContentType { get; set; }

        public byte[]? Body { get; set; }

        public byte[] ToBytes()
        {
            var output = new ArrayBufferWriter<byte>(512);
            if (lab)
            {
                // The lab server's replies, which the lab client reads by line number: status, CSeq, Session.
                var text = $"RTSP/1.0 {Status} {RtspStatusCode.ReasonPhrase(Status)}\nCSeq: {cseq}";
                if (Session is not null)
                {
                    text += $"\nSession: {Session.Id}";
                }

                return Encoding.ASCII.GetBytes(text);
            }

            var writer = new RtspWriter(output);
            writer.WriteStatusLine(Status);
            if (cseq >= 0)
            {
                writer.WriteCSeq(cseq);
            }

            if (Session is not null)
            {
                writer.WriteHeader(SessionHeader.Name, new SessionHeader(Session.Id, SessionTimeout ? timeoutSeconds : null).ToString());
            }

            foreach (var (name, value) in Headers)
            {
                writer.WriteHeader(name, value);
            }

            writer.WriteHeader("Server", "GrpcStream");
            writer.WriteEnd(Body ?? [], ContentType);
            return output.WrittenSpan.ToArray();
        }
    }
}
