using GrpcStream.Edge.Auth;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Origin;
using GrpcStream.Edge.Sessions;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;
using Microsoft.Extensions.Options;
using GrpcStream.Shared.Net;

namespace GrpcStream.Edge.Requests;

/// <summary>
/// Routes a request: connection methods (OPTIONS, DESCRIBE, a keepalive without a session) apart from session
/// methods, which first find the session (454 if it is not this connection's) and pass the state machine (455
/// with Allow). Turns failures into statuses (404, 453, 461, 503 with Retry-After) and sends the answer in the
/// connection's dialect.
/// </summary>
internal sealed class RequestRouter(
    ConnectionMethods connectionMethods,
    SessionMethods sessionMethods,
    PublishMethods publishMethods,
    SessionManager sessions,
    RtspAuthenticator authenticator,
    FailedAttempts failedAttempts,
    EdgeMetrics metrics,
    IOptions<EdgeOptions> options,
    TimeProvider time,
    ILogger<RequestRouter> logger)
{
    private static readonly string RetryAfterSeconds = "5";
    private readonly int _sessionTimeoutSeconds = (int)options.Value.Rtsp.SessionTimeout.TotalSeconds;

    /// <summary>The RTSP side of a new connection.</summary>
    public ClientContext Open(IClientConnection connection) => new(connection, this, sessions, metrics);

    public async ValueTask HandleAsync(ClientContext client, RtspMessage request)
    {
        var response = request.CSeq < 0 ? new RtspResponse(RtspStatusCode.BadRequest) : await AnswerAsync(client, request).ConfigureAwait(false);
        if (response.Status >= 400)
        {
            metrics.BadRequest();
        }

        await client.Connection.SendAsync(client.Dialect.Write(response with { CSeq = request.CSeq }, _sessionTimeoutSeconds)).ConfigureAwait(false);
        if (response is { Then: AfterResponse.StartFrames, Session: { } playing })
        {
            playing.Player.StartSending();
        }
    }

    private async ValueTask<RtspResponse> AnswerAsync(ClientContext client, RtspMessage request)
    {
        try
        {
            return await AuthorizeAsync(client, request).ConfigureAwait(false)
                ?? await RouteAsync(client, request).ConfigureAwait(false);
        }
        catch (OriginUnavailableException)
        {
            return RtspResponse.Of(RtspStatusCode.ServiceUnavailable, "Retry-After", RetryAfterSeconds);
        }
        catch (StreamNotFoundException)
        {
            return new RtspResponse(RtspStatusCode.NotFound);
        }
        catch (SetupRefusedException ex)
        {
            EdgeLog.SetupRefused(logger, client.Connection.Remote.ToString(), ex.Message);
            return ex.RetryAfter is { } retryAfter
                ? RtspResponse.Of(ex.StatusCode, "Retry-After", Seconds(retryAfter))
                : new RtspResponse(ex.StatusCode);
        }
    }

    /// <summary>
    /// Checks the credentials of the methods that reach a stream (DESCRIBE, SETUP, PLAY, GET_PARAMETER, and
    /// ANNOUNCE/RECORD for publishing); null when they pass, else the refusal. A failed attempt's answer is held
    /// back longer the more that address has failed.
    /// </summary>
    private async ValueTask<RtspResponse?> AuthorizeAsync(ClientContext client, RtspMessage request)
    {
        var permission = request.Method switch
        {
            RtspMethod.Describe or RtspMethod.Setup or RtspMethod.Play or RtspMethod.GetParameter => Permission.Read,
            RtspMethod.Announce or RtspMethod.Record => Permission.Publish,
            _ => Permission.None,
        };
        if (!authenticator.Enabled || permission == Permission.None)
        {
            return null;
        }

        // A request on a session is about the session's stream; on a publisher's, what it asks is to publish.
        var session = FindSession(client, request);
        if (session?.Kind == SessionKind.Record)
        {
            permission = Permission.Publish;
        }

        string? stream = session is not null ? session.Stream
            : StreamPaths.TryGetStream(request, out var named) ? named : null;
        var remote = client.Connection.Remote.Address;
        var address = PlainAddress.Of(remote);
        var decision = await authenticator.CheckAsync(request, stream, address, permission, client.Connection.IsSecure, client.Connection.Closed).ConfigureAwait(false);
        if (decision.Allowed)
        {
            if (decision.User is not null)
            {
                failedAttempts.Succeeded(address);
            }

            return null;
        }

        var refusal = new RtspResponse(decision.Status) { Headers = [.. decision.Challenges.Select(challenge => ("WWW-Authenticate", challenge))] };
        if (decision.Status == RtspStatusCode.ServiceUnavailable && decision.RetryAfter > TimeSpan.Zero)
        {
            refusal = refusal.With("Retry-After", Seconds(decision.RetryAfter));
        }

        if (decision.Failure is { } failure)
        {
            metrics.AuthFailed(decision.Status);
            EdgeLog.AuthFailed(logger, client.Connection.Remote.ToString(), request.Method.Name(), Printable(request.Uri), failure);
            await Task.Delay(failedAttempts.Failed(address), time).ConfigureAwait(false);
        }

        return refusal;
    }

    private static string Seconds(TimeSpan wait) => ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    // Request URIs go to the log: no control characters from a client.
    private static string Printable(string text) =>
        string.Create(Math.Min(text.Length, 256), text, (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });

    private async ValueTask<RtspResponse> RouteAsync(ClientContext client, RtspMessage request)
    {
        switch (request.Method)
        {
            case RtspMethod.Options:
                return ConnectionMethods.Options();
            case RtspMethod.Describe:
                return await connectionMethods.DescribeAsync(client, request).ConfigureAwait(false);
            case RtspMethod.Announce:
                return await publishMethods.AnnounceAsync(client, request).ConfigureAwait(false);
            case RtspMethod.Unknown:
                return new RtspResponse(RtspStatusCode.NotImplemented);
            case RtspMethod.Redirect:
                return ConnectionMethods.MethodNotAllowed();
        }

        if (FindSession(client, request) is { } session)
        {
            session.Touch();
            var answer = session.Kind == SessionKind.Record
                ? await publishMethods.ApplyAsync(client, session, request).ConfigureAwait(false)
                : sessionMethods.Apply(client, session, request);
            return answer with { Session = session };
        }

        if (request.GetHeader(SessionHeader.Name) is not null)
        {
            return new RtspResponse(RtspStatusCode.SessionNotFound);
        }

        return request.Method switch
        {
            RtspMethod.Setup => await sessionMethods.SetupAsync(client, request).ConfigureAwait(false),
            RtspMethod.GetParameter or RtspMethod.SetParameter => RtspResponse.Ok, // a keepalive of the connection
            RtspMethod.Record => RtspResponse.Of(RtspStatusCode.MethodNotValidInThisState, "Allow", "OPTIONS, DESCRIBE, ANNOUNCE, SETUP"), // nothing announced
            _ => new RtspResponse(RtspStatusCode.SessionNotFound),
        };
    }

    /// <summary>
    /// The session a request is about: the one its Session header names, if it is this connection's; or, for a
    /// publisher's SETUP and RECORD (which need not name it), the one that announced the stream the request addresses.
    /// </summary>
    private static Session? FindSession(ClientContext client, RtspMessage request)
    {
        if (request.GetHeader(SessionHeader.Name) is { } header)
        {
            return client.TryGetSession(header, out var named) ? named : null;
        }

        return request.Method is RtspMethod.Setup or RtspMethod.Record && client.Publisher is { } announced && announced.Recorder.Addresses(request.Uri)
            ? announced
            : null;
    }

    /// <summary>The connection closed: its publication ends (the origin holds the stream for the publisher to return).</summary>
    public ValueTask ConnectionClosedAsync(ClientContext client) => publishMethods.EndAsync(client, SessionEndReason.Disconnected);

    /// <summary>True while a publisher sends its RTP over UDP (its RTSP connection is idle meanwhile).</summary>
    public bool ReceivingOverUdp(RecordMedia recording) => publishMethods.ReceivingOverUdp(recording);
}
