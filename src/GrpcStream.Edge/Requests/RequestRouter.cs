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
        var response = new RtspResponse(request.CSeq);
        if (request.CSeq < 0)
        {
            response.Status = RtspStatusCode.BadRequest;
        }
        else
        {
            try
            {
                if (await AuthorizeAsync(client, request, response).ConfigureAwait(false))
                {
                    await RouteAsync(client, request, response).ConfigureAwait(false);
                }
            }
            catch (OriginUnavailableException)
            {
                response.Status = RtspStatusCode.ServiceUnavailable;
                response.Headers.Add(("Retry-After", RetryAfterSeconds));
            }
            catch (StreamNotFoundException)
            {
                response.Status = RtspStatusCode.NotFound;
            }
            catch (SetupRefusedException ex)
            {
                EdgeLog.SetupRefused(logger, client.Connection.Remote.ToString(), ex.Message);
                response.Status = ex.StatusCode;
                if (ex.RetryAfter is { } retryAfter)
                {
                    response.Headers.Add(("Retry-After", ((int)retryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }
            }
        }

        if (response.Status >= 400)
        {
            metrics.BadRequest();
        }

        await client.Connection.SendAsync(client.Dialect.Write(response, _sessionTimeoutSeconds)).ConfigureAwait(false);
        if (response is { Then: AfterResponse.StartFrames, Session: RtspSession playing })
        {
            playing.StartSending();
        }
    }

    /// <summary>
    /// Checks the credentials of the methods that reach a stream (DESCRIBE, SETUP, PLAY, GET_PARAMETER, and
    /// ANNOUNCE/RECORD for publishing); false with the answer set when they fail. A failed attempt's answer is held
    /// back longer the more that address has failed.
    /// </summary>
    private async ValueTask<bool> AuthorizeAsync(ClientContext client, RtspMessage request, RtspResponse response)
    {
        // A publisher's SETUP and RECORD are about the stream it announced.
        var recording = client.Recording is { } announced && request.Method is RtspMethod.Setup or RtspMethod.Record && announced.Addresses(request.Uri) ? announced : null;
        var permission = recording is not null ? Permission.Publish : request.Method switch
        {
            RtspMethod.Describe or RtspMethod.Setup or RtspMethod.Play or RtspMethod.GetParameter => Permission.Read,
            RtspMethod.Announce or RtspMethod.Record => Permission.Publish,
            _ => Permission.None,
        };
        if (!authenticator.Enabled || permission == Permission.None)
        {
            return true;
        }

        string? stream = recording is not null ? recording.Name
            : client.TryGetSession(request.GetHeader(SessionHeader.Name), out var session)
            ? session.Feed.Name
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

            return true;
        }

        response.Status = decision.Status;
        foreach (var challenge in decision.Challenges)
        {
            response.Headers.Add(("WWW-Authenticate", challenge));
        }

        if (decision.Status == RtspStatusCode.ServiceUnavailable && decision.RetryAfter > TimeSpan.Zero)
        {
            response.Headers.Add(("Retry-After", ((int)Math.Ceiling(decision.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (decision.Failure is { } failure)
        {
            metrics.AuthFailed(decision.Status);
            EdgeLog.AuthFailed(logger, client.Connection.Remote.ToString(), request.Method.Name(), Printable(request.Uri), failure);
            await Task.Delay(failedAttempts.Failed(address), time).ConfigureAwait(false);
        }

        return false;
    }

    // Request URIs go to the log: no control characters from a client.
    private static string Printable(string text) =>
        string.Create(Math.Min(text.Length, 256), text, (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });

    private ValueTask RouteAsync(ClientContext client, RtspMessage request, RtspResponse response)
    {
        var sessionHeader = request.GetHeader(SessionHeader.Name);
        switch (request.Method)
        {
            case RtspMethod.Options:
                ConnectionMethods.Options(response);
                return ValueTask.CompletedTask;
            case RtspMethod.Describe:
                return connectionMethods.DescribeAsync(client, request, response);
            case RtspMethod.Announce:
                return publishMethods.AnnounceAsync(client, request, response);
            case RtspMethod.Setup when client.Recording is { } recording && recording.Addresses(request.Uri):
                publishMethods.Setup(client, recording, request, response);
                return ValueTask.CompletedTask;
            case RtspMethod.Record when client.Recording is { } recording && (sessionHeader is null || IsSession(sessionHeader, recording.Id)):
                publishMethods.Record(recording, response);
                return ValueTask.CompletedTask;
            case RtspMethod.Pause when client.Recording is { } recording && sessionHeader is not null && IsSession(sessionHeader, recording.Id):
                publishMethods.Pause(recording, response);
                return ValueTask.CompletedTask;
            case RtspMethod.Teardown when client.Recording is { } recording && sessionHeader is not null && IsSession(sessionHeader, recording.Id):
                response.Session = recording;
                response.SessionTimeout = false;
                return publishMethods.EndAsync(client, SessionEndReason.Teardown);
            case RtspMethod.GetParameter or RtspMethod.SetParameter when client.Recording is { } recording && sessionHeader is not null && IsSession(sessionHeader, recording.Id):
                response.Session = recording;
                return ValueTask.CompletedTask; // a publisher's keepalive
            case RtspMethod.Setup when sessionHeader is null:
                return sessionMethods.SetupAsync(client, request, response);
            case RtspMethod.GetParameter or RtspMethod.SetParameter when sessionHeader is null:
                return ValueTask.CompletedTask; // a keepalive of the connection
            case RtspMethod.Unknown:
                response.Status = RtspStatusCode.NotImplemented;
                return ValueTask.CompletedTask;
            case RtspMethod.Record:
                // RECORD of nothing announced on this connection.
                response.Headers.Add(("Allow", "OPTIONS, DESCRIBE, ANNOUNCE, SETUP"));
                response.Status = RtspStatusCode.MethodNotValidInThisState;
                return ValueTask.CompletedTask;
            case RtspMethod.Redirect:
                ConnectionMethods.MethodNotAllowed(response);
                return ValueTask.CompletedTask;
        }

        if (!client.TryGetSession(sessionHeader, out var session))
        {
            response.Status = RtspStatusCode.SessionNotFound;
            return ValueTask.CompletedTask;
        }

        session.Touch();
        response.Session = session;
        sessionMethods.Apply(client, session, request, response);
        return ValueTask.CompletedTask;
    }

    /// <summary>The connection closed: its publication ends (the origin holds the stream for the publisher to return).</summary>
    public ValueTask ConnectionClosedAsync(ClientContext client) => publishMethods.EndAsync(client, SessionEndReason.Disconnected);

    private static bool IsSession(string header, string id)
    {
        try
        {
            return SessionHeader.Parse(header).Id == id;
        }
        catch (RtspHeaderException)
        {
            return false;
        }
    }

    /// <summary>True while a publisher sends its RTP over UDP (its RTSP connection is idle meanwhile).</summary>
    public bool ReceivingOverUdp(Sessions.RecordSession recording) => publishMethods.ReceivingOverUdp(recording);
}
