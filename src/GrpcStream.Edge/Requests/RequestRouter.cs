using GrpcStream.Edge.Connections;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Hosting;
using GrpcStream.Edge.OriginLink;
using GrpcStream.Edge.Sessions;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;
using Microsoft.Extensions.Options;

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
    SessionManager sessions,
    EdgeMetrics metrics,
    IOptions<EdgeOptions> options,
    ILogger<RequestRouter> logger)
{
    private static readonly string RetryAfterSeconds = "5";
    private readonly int _sessionTimeoutSeconds = (int)options.Value.Rtsp.SessionTimeout.TotalSeconds;

    /// <summary>The RTSP side of a new connection.</summary>
    public ClientContext Open(RtspConnection connection) => new(connection, this, sessions, metrics);

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
                await RouteAsync(client, request, response).ConfigureAwait(false);
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
        response.AfterSent?.Invoke();
    }

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
            case RtspMethod.Setup when sessionHeader is null:
                return sessionMethods.SetupAsync(client, request, response);
            case RtspMethod.GetParameter or RtspMethod.SetParameter when sessionHeader is null:
                return ValueTask.CompletedTask; // a keepalive of the connection
            case RtspMethod.Unknown:
                response.Status = RtspStatusCode.NotImplemented;
                return ValueTask.CompletedTask;
            case RtspMethod.Announce or RtspMethod.Record or RtspMethod.Redirect:
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
}
