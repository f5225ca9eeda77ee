using System.Net;
using GrpcStream.Edge.Auth;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Hosting;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Http;

/// <summary>Who an HTTP request comes from, as far as the streams are concerned.</summary>
internal sealed class HttpCaller
{
    /// <summary>No users are configured: anyone may read anything, as over RTSP.</summary>
    public static readonly HttpCaller Everyone = new(null, anonymous: false);

    /// <summary>Users are configured and the request named none: it may read nothing.</summary>
    public static readonly HttpCaller Anonymous = new(null, anonymous: true);

    public HttpCaller(EdgeUser? user, bool anonymous = false)
    {
        User = user;
        IsAnonymous = anonymous;
    }

    public EdgeUser? User { get; }

    public bool IsAnonymous { get; }

    public bool MayRead(string stream) =>
        User is { } user ? (user.Permissions & Permission.Read) != 0 && user.MayUse(stream) : !IsAnonymous;
}

/// <summary>
/// The edge's users on its HTTP port, with HTTP Basic (a browser's <c>&lt;img&gt;</c> supports nothing else): the
/// same users, permissions and addresses as RTSP, and failures counted and delayed the same way. Basic is accepted
/// over HTTPS (<c>Edge:Http:CertificatePath</c>), and over plain HTTP only when <c>Edge:Auth:Methods</c> lists
/// <c>basic</c>, as over plain RTSP.
/// </summary>
internal sealed class HttpAccess(RtspAuthenticator authenticator, FailedAttempts failures, EdgeMetrics metrics, TimeProvider time, IOptions<EdgeOptions> options)
{
    private readonly string _realm = options.Value.Auth.Realm;

    public bool Enabled => authenticator.Enabled;

    /// <summary>Whether a browser here could log in at all.</summary>
    public bool CanLogIn(HttpContext context) => authenticator.Enabled && BasicAllowed(context);

    /// <summary>
    /// The caller; null when the request was answered instead (credentials refused: 401, or 403 where Basic is not
    /// accepted or the user may not come from that address).
    /// </summary>
    public async Task<HttpCaller?> IdentifyAsync(HttpContext context)
    {
        if (!authenticator.Enabled)
        {
            return HttpCaller.Everyone;
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return HttpCaller.Anonymous;
        }

        var address = context.Connection.RemoteIpAddress ?? IPAddress.None;
        if (!BasicAllowed(context))
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "Basic credentials are not accepted over plain HTTP (Edge:Auth:Methods)").ConfigureAwait(false);
            return null;
        }

        var user = authenticator.CheckBasic(header);
        if (user is null)
        {
            await Task.Delay(failures.Failed(address), time, context.RequestAborted).ConfigureAwait(false);
            await ChallengeAsync(context, "wrong user name or password", counted: true).ConfigureAwait(false);
            return null;
        }

        if (!user.MayComeFrom(address))
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, $"user '{user.Name}' may not connect from {address}").ConfigureAwait(false);
            return null;
        }

        failures.Succeeded(address);
        return new HttpCaller(user);
    }

    // Over HTTPS whatever Edge:Auth:Methods says: a browser has nothing but Basic, and the password is encrypted.
    private bool BasicAllowed(HttpContext context) => context.Request.IsHttps || authenticator.BasicAllowed(secure: false);

    /// <summary>Answers a caller that may not read <paramref name="stream"/>: 401 to log in, or 403 for a user.</summary>
    public Task RefuseReadAsync(HttpContext context, HttpCaller caller, string stream) =>
        caller.User is { } user
            ? RefuseAsync(context, StatusCodes.Status403Forbidden, $"user '{user.Name}' may not read {stream}")
            : CanLogIn(context)
                ? ChallengeAsync(context, $"'{stream}' needs a login", counted: false)
                : RefuseAsync(context, StatusCodes.Status403Forbidden, $"'{stream}' needs a login, and Basic credentials are not accepted over plain HTTP (Edge:Auth:Methods)");

    /// <summary>401 with a Basic challenge, which makes a browser ask for a user name and password.</summary>
    public Task ChallengeAsync(HttpContext context, string line, bool counted)
    {
        if (counted)
        {
            metrics.AuthFailed(StatusCodes.Status401Unauthorized);
        }

        context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{_realm}\", charset=\"UTF-8\"";
        return Answer(context, StatusCodes.Status401Unauthorized, line);
    }

    private Task RefuseAsync(HttpContext context, int status, string line)
    {
        metrics.AuthFailed(status);
        return Answer(context, status, line);
    }

    /// <summary>An answer of one line of plain text.</summary>
    public static Task Answer(HttpContext context, int status, string line)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(line.ReplaceLineEndings(" ") + "\n", context.RequestAborted);
    }
}
