using System.Net;
using GrpcStream.Edge.Auth;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Http;

/// <summary>Who an HTTP request comes from, as far as the streams are concerned.</summary>
internal sealed class HttpCaller
{
    /// <summary>No users are configured: anyone may read anything, as over RTSP.</summary>
    public static readonly HttpCaller Everyone = new(null);

    /// <summary>Users are configured and the request named none: it may read nothing.</summary>
    public static readonly HttpCaller Anonymous = new(null) { IsAnonymous = true };

    private readonly HookQuestion? _hook;

    public HttpCaller(EdgeUser? user) => User = user;

    /// <summary>Credentials of no configured user: the authentication hook decides each stream.</summary>
    public HttpCaller(RtspAuthenticator authenticator, string name, string password, IPAddress address, string protocol) =>
        _hook = new HookQuestion(authenticator, name, password, address, protocol);

    /// <summary>A configured user whose password was right.</summary>
    public EdgeUser? User { get; }

    public bool IsAnonymous { get; private init; }

    /// <summary>The user's name, configured or the hook's.</summary>
    public string? Name => User?.Name ?? _hook?.Name;

    public bool IsHooked => _hook is not null;

    /// <summary>
    /// Whether the caller may read <paramref name="stream"/>; only the hook's answer needs waiting for (it is cached
    /// there, and each refusal is a failure in the caller's budgets).
    /// </summary>
    public async ValueTask<bool> MayReadAsync(string stream, CancellationToken cancellationToken) =>
        _hook is { } hook
            ? await hook.Authenticator.AskHookAsync(hook.Name, hook.Password, hook.Address, stream, Permission.Read, hook.Protocol, cancellationToken).ConfigureAwait(false) is null
            : User is { } user ? (user.Permissions & Permission.Read) != 0 && user.MayUse(stream) : !IsAnonymous;

    private sealed record HookQuestion(RtspAuthenticator Authenticator, string Name, string Password, IPAddress Address, string Protocol);
}

/// <summary>
/// The edge's users on its HTTP port, with HTTP Basic (a browser's <c>&lt;img&gt;</c> supports nothing else): the
/// same users, permissions and addresses as RTSP, and failures counted and delayed the same way. Basic is accepted
/// over HTTPS (<c>Edge:Http:CertificatePath</c>), and over plain HTTP only when <c>Edge:Auth:Methods</c> lists
/// <c>basic</c>, as over plain RTSP. Credentials of no configured user go to the authentication hook
/// (<c>Edge:Auth:HttpHook</c>) stream by stream, with protocol <c>http</c> or <c>https</c>.
/// </summary>
internal sealed class HttpAccess(RtspAuthenticator authenticator, TrustedAddresses trusted, FailedAttempts failures, EdgeMetrics metrics, TimeProvider time, IOptions<EdgeOptions> options)
{
    private readonly string _realm = options.Value.Auth.Realm;

    /// <summary>
    /// Whether the caller may see what names streams and origins in the health answers: anyone when no users are
    /// configured (the streams are public then), a trusted address, or a user with the metrics permission (Basic,
    /// checked, budgeted and delayed like any login; a refusal only hides the detail).
    /// </summary>
    public async ValueTask<bool> MaySeeDetailAsync(HttpContext context)
    {
        if (!authenticator.Enabled || trusted.Contains(context.Connection.RemoteIpAddress))
        {
            return true;
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0 || !BasicAllowed(context))
        {
            return false;
        }

        var address = context.Connection.RemoteIpAddress ?? IPAddress.None;
        var login = await authenticator.CheckBasicAsync(header, address, context.RequestAborted).ConfigureAwait(false);
        if (login.Check.User is { } user && (user.Permissions & Permission.Metrics) != 0 && user.MayComeFrom(address))
        {
            failures.Succeeded(address);
            return true;
        }

        if (login.Check.Refusal == LoginRefusal.Wrong)
        {
            metrics.AuthFailed(StatusCodes.Status401Unauthorized);
            await Task.Delay(failures.Failed(address), time, context.RequestAborted).ConfigureAwait(false);
        }

        return false;
    }

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

        var login = await authenticator.CheckBasicAsync(header, address, context.RequestAborted).ConfigureAwait(false);
        if (login.HookName is { } hookName)
        {
            // The hook is asked per stream, so whether these credentials are any good is only known then.
            return new HttpCaller(authenticator, hookName, login.HookPassword!, address, context.Request.IsHttps ? "https" : "http");
        }

        if (login.Check.User is not { } user)
        {
            await RefuseLoginAsync(context, login.Check, address).ConfigureAwait(false);
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

    /// <summary>
    /// Answers credentials that were not found right, after the address's failure delay (so that a client looping
    /// on refusals gets few answers, however it is refused): 429 when the address's or the name's failures are
    /// spent, 503 when no check could be made now (both with Retry-After, and unchecked), else 401.
    /// </summary>
    public async Task RefuseLoginAsync(HttpContext context, PasswordCheck check, IPAddress address)
    {
        await Task.Delay(failures.Failed(address), time, context.RequestAborted).ConfigureAwait(false);
        if (check.Refusal is LoginRefusal.TooManyFromAddress or LoginRefusal.TooManyForUser or LoginRefusal.Busy)
        {
            var status = check.Refusal == LoginRefusal.Busy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status429TooManyRequests;
            metrics.AuthFailed(status);
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(check.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Answer(context, status, check.Refusal == LoginRefusal.Busy ? "too many password checks under way; try again" : "too many failed logins; try again later").ConfigureAwait(false);
            return;
        }

        await ChallengeAsync(context, "wrong user name or password", counted: true).ConfigureAwait(false);
    }

    // Over HTTPS whatever Edge:Auth:Methods says: a browser has nothing but Basic, and the password is encrypted.
    private bool BasicAllowed(HttpContext context) => context.Request.IsHttps || authenticator.BasicAllowed(secure: false);

    /// <summary>Answers a caller that may not read <paramref name="stream"/>: 401 to log in, or 403 for a user.</summary>
    public async Task RefuseReadAsync(HttpContext context, HttpCaller caller, string stream)
    {
        if (caller.IsHooked)
        {
            // The hook cannot tell a wrong password from a stream the user may not read: ask again, as over RTSP.
            await Task.Delay(failures.Failed(context.Connection.RemoteIpAddress ?? IPAddress.None), time, context.RequestAborted).ConfigureAwait(false);
            await ChallengeAsync(context, $"the authentication hook refused user '{caller.Name}' for {stream}", counted: true).ConfigureAwait(false);
            return;
        }

        await (caller.User is { } user
            ? RefuseAsync(context, StatusCodes.Status403Forbidden, $"user '{user.Name}' may not read {stream}")
            : CanLogIn(context)
                ? ChallengeAsync(context, $"'{stream}' needs a login", counted: false)
                : RefuseAsync(context, StatusCodes.Status403Forbidden, $"'{stream}' needs a login, and Basic credentials are not accepted over plain HTTP (Edge:Auth:Methods)")).ConfigureAwait(false);
    }

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
