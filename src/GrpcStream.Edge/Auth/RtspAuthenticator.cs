using System.Net;
using System.Security.Cryptography;
using System.Text;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;
using Microsoft.Extensions.Options;
using GrpcStream.Shared.Net;

namespace GrpcStream.Edge.Auth;

/// <summary>
/// Checks a request's credentials against the configured users: Digest (RFC 7616 SHA-256 and RFC 2617 MD5,
/// offered in that order) and, where allowed, Basic. Says who the user is, or which status to answer and which
/// challenges go with it. With no users configured everything is allowed.
/// </summary>
/// <remarks>
/// Every check of credentials, over RTSP or HTTP, by Basic, Digest or the hook, first takes a token from the
/// address's and the name's failure budgets (<see cref="GuessBudget"/>), and Basic passwords are checked by the
/// bounded <see cref="PasswordVerifier"/>: guessing is limited per address and per name whatever the number of
/// connections, and costly hashes cannot exhaust memory.
/// </remarks>
internal sealed class RtspAuthenticator : IDisposable
{
    /// <summary>An Authorization header longer than this is refused unread.</summary>
    public const int MaxHeaderLength = 4096;

    private readonly AuthSettings _settings;
    private readonly Dictionary<string, EdgeUser> _users;
    private readonly bool _basicAnywhere;
    private readonly bool _digest;
    private readonly DigestNonces _nonces;
    private readonly bool _hooked;
    private readonly GuessBudget _budget;
    private readonly PasswordVerifier _verifier;
    private readonly AuthHook _hook;
    private readonly EdgeMetrics _metrics;

    // What Digest hashes for a name no user has, so that the answer costs what a user's does.
    private readonly string _unknownDigestPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public RtspAuthenticator(IOptions<EdgeOptions> options, AuthHook hook, FailedAttempts failures, EdgeMetrics metrics, TimeProvider time, ILogger<RtspAuthenticator> logger)
    {
        _settings = options.Value.Auth;
        _hook = hook;
        _metrics = metrics;
        _users = _settings.Users.Select(u => new EdgeUser(u)).ToDictionary(u => u.Name, StringComparer.Ordinal);
        _budget = new GuessBudget(_settings, time);
        _verifier = new PasswordVerifier(_settings, _users.Values.Select(u => u.Password), time, address => failures.NextDelay(PlainAddress.Of(address)));
        var methods = (_settings.Methods ?? ["digest"]).Select(m => m.ToLowerInvariant()).ToHashSet();
        _digest = methods.Contains("digest");
        _basicAnywhere = methods.Contains("basic");
        _nonces = new DigestNonces(time, _settings.NonceLifetime);
        _hooked = _settings.HttpHook is { Length: > 0 };
        if (_hooked)
        {
            EdgeLog.AuthHookOn(logger, _settings.HttpHook!, _basicAnywhere ? "basic is in Edge:Auth:Methods" : "over RTSPS only, where Basic is offered");
        }

        if (_users.Count == 0 && !_hooked)
        {
            EdgeLog.AuthOpen(logger);
            return;
        }

        EdgeLog.AuthUsers(logger, _users.Count, string.Join(", ", methods.Order()));
        foreach (var user in _users.Values.Where(u => u.Password.Kind != PasswordKind.Plain && !_basicAnywhere))
        {
            EdgeLog.HashedPasswordNeedsBasic(logger, user.Name);
        }
    }

    public bool Enabled => _users.Count > 0 || _hooked;

    public IReadOnlyCollection<EdgeUser> Users => _users.Values;

    /// <summary>Whether Basic is offered: when listed, or (later) over RTSPS, where the password is encrypted.</summary>
    public bool BasicAllowed(bool secure) => _basicAnywhere || (secure && _settings.Methods is null);

    /// <summary>Decides a request that needs <paramref name="permission"/> on <paramref name="stream"/> (null: none in particular).</summary>
    public async ValueTask<AuthDecision> CheckAsync(RtspMessage request, string? stream, IPAddress address, Permission permission, bool secure, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return AuthDecision.Allow(null);
        }

        var value = request.GetHeader("Authorization");
        if (value is null)
        {
            return Challenge(secure, stale: false, failure: null);
        }

        if (value.Length > MaxHeaderLength || !AuthHeader.TryParse(value, out var header))
        {
            return new AuthDecision(RtspStatusCode.BadRequest, null, [], "a malformed Authorization header");
        }

        EdgeUser? user;
        if (header.IsScheme("Basic"))
        {
            if (!BasicAllowed(secure))
            {
                return Challenge(secure, stale: false, "Basic is not accepted over plain RTSP (Edge:Auth:Methods)");
            }

            if (!TryBasic(header, out var name, out var password))
            {
                return new AuthDecision(RtspStatusCode.BadRequest, null, [], "malformed Basic credentials");
            }

            if (!_users.ContainsKey(name) && _hooked)
            {
                return await AskHookAsync(name, password, address, stream, permission, secure ? "rtsps" : "rtsp", cancellationToken).ConfigureAwait(false) is { } refused
                    ? refused.Status == RtspStatusCode.Unauthorized ? Challenge(secure, stale: false, refused.Failure) : refused
                    : AuthDecision.Allow(name);
            }

            var checkedPassword = await CheckPasswordAsync(name, password, address, cancellationToken).ConfigureAwait(false);
            if (Refused(checkedPassword, name, secure) is { } refusal)
            {
                return refusal;
            }

            user = checkedPassword.User;
        }
        else if (header.IsScheme("Digest") && _digest)
        {
            var result = CheckDigest(request, header, address, out user, out var retryAfter);
            if (result is not null)
            {
                return result == "stale" ? Challenge(secure, stale: true, failure: null) : Challenge(secure, stale: false, result) with { RetryAfter = retryAfter };
            }
        }
        else
        {
            return Challenge(secure, stale: false, $"scheme {header.Scheme} is not accepted");
        }

        if (!user!.MayComeFrom(address))
        {
            return new AuthDecision(RtspStatusCode.Forbidden, user.Name, [], $"user '{user.Name}' may not connect from {address}");
        }

        if ((user.Permissions & permission) != permission || !user.MayUse(stream))
        {
            return new AuthDecision(RtspStatusCode.Forbidden, user.Name, [], $"user '{user.Name}' may not {permission.ToString().ToLowerInvariant()} {stream ?? "this"}");
        }

        return AuthDecision.Allow(user.Name);
    }

    // The RTSP answer to a password that was not found right: 401 for wrong or too many, 503 for a busy verifier.
    private AuthDecision? Refused(PasswordCheck check, string name, bool secure) => check.Refusal switch
    {
        LoginRefusal.None => null,
        LoginRefusal.Busy => new AuthDecision(RtspStatusCode.ServiceUnavailable, null, [], check.Why(name)) { RetryAfter = check.RetryAfter },
        _ => Challenge(secure, stale: false, check.Why(name)) with { RetryAfter = check.RetryAfter },
    };

    /// <summary>
    /// Checks a user name and password from <paramref name="address"/> within the failure budgets and the bounded
    /// verifier: the user when right; otherwise why not (wrong, too many failures, or no room to check now).
    /// </summary>
    public async ValueTask<PasswordCheck> CheckPasswordAsync(string name, string password, IPAddress address, CancellationToken cancellationToken)
    {
        var user = _users.GetValueOrDefault(name);
        if (user is not null && _verifier.IsRemembered(name, password))
        {
            return new PasswordCheck(user, LoginRefusal.None, TimeSpan.Zero);
        }

        if (TakeBudget(address, name, out var retryAfter) is { } throttled)
        {
            return throttled;
        }

        Verification result;
        try
        {
            result = await _verifier.VerifyAsync(name, user, password, address, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _budget.GiveBack(address, name); // not checked: the caller went away
            throw;
        }

        switch (result)
        {
            case Verification.Right:
                _budget.GiveBack(address, name);
                return new PasswordCheck(user, LoginRefusal.None, TimeSpan.Zero);
            case Verification.Busy:
                _budget.GiveBack(address, name);
                _metrics.LimitHit(EdgeLimits.PasswordChecks);
                return new PasswordCheck(null, LoginRefusal.Busy, TimeSpan.FromSeconds(1));
            default:
                return new PasswordCheck(null, LoginRefusal.Wrong, retryAfter);
        }
    }

    /// <summary>
    /// Asks the hook about credentials of no configured user, within the failure budgets; null when it allows,
    /// else the answer (401 with why, or 401 for too many failures).
    /// </summary>
    public async ValueTask<AuthDecision?> AskHookAsync(string name, string password, IPAddress address, string? stream, Permission permission, string protocol, CancellationToken cancellationToken)
    {
        if (TakeBudget(address, name, out _) is { } throttled)
        {
            return new AuthDecision(RtspStatusCode.Unauthorized, null, [], throttled.Why(name)) { RetryAfter = throttled.RetryAfter };
        }

        bool allowed;
        try
        {
            allowed = await _hook.AllowsAsync(name, password, address, stream, permission, protocol, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _budget.GiveBack(address, name);
            throw;
        }

        if (allowed)
        {
            _budget.GiveBack(address, name);
            return null;
        }

        return new AuthDecision(RtspStatusCode.Unauthorized, null, [], $"the authentication hook refused user '{name}'");
    }

    // Null when a failure's worth was taken from both budgets; otherwise the refusal, counted.
    private PasswordCheck? TakeBudget(IPAddress address, string name, out TimeSpan retryAfter)
    {
        var refusal = _budget.TryTake(address, name, out retryAfter);
        if (refusal == GuessRefusal.None)
        {
            return null;
        }

        _metrics.LimitHit(refusal == GuessRefusal.Address ? EdgeLimits.FailuresPerAddress : EdgeLimits.FailuresPerUser);
        return new PasswordCheck(null, refusal == GuessRefusal.Address ? LoginRefusal.TooManyFromAddress : LoginRefusal.TooManyForUser, retryAfter);
    }

    /// <summary>
    /// Basic credentials on HTTP, where only Basic is offered: the configured user they name when the password is
    /// right, or (<see cref="HttpLogin.HookName"/> set) a name no user has, for the hook to decide stream by stream;
    /// otherwise why not (malformed, wrong, too many failures, no room to check now).
    /// </summary>
    public async ValueTask<HttpLogin> CheckBasicAsync(string authorization, IPAddress address, CancellationToken cancellationToken)
    {
        if (authorization.Length > MaxHeaderLength || !AuthHeader.TryParse(authorization, out var header)
            || !header.IsScheme("Basic") || !TryBasic(header, out var name, out var password))
        {
            return new HttpLogin(new PasswordCheck(null, LoginRefusal.Wrong, TimeSpan.Zero), null, null);
        }

        if (!_users.ContainsKey(name) && _hooked)
        {
            // The hook is asked per stream, so whether these credentials are any good is only known then; the
            // budget is asked now, so that a spent one is refused before any question.
            if (TakeBudget(address, name, out _) is { } throttled)
            {
                return new HttpLogin(throttled, null, null);
            }

            _budget.GiveBack(address, name);
            return new HttpLogin(new PasswordCheck(null, LoginRefusal.None, TimeSpan.Zero), name, password);
        }

        return new HttpLogin(await CheckPasswordAsync(name, password, address, cancellationToken).ConfigureAwait(false), null, null);
    }

    // Null when the response is right and the user known; "stale" for an expired nonce; otherwise why not.
    private string? CheckDigest(RtspMessage request, AuthHeader header, IPAddress address, out EdgeUser? user, out TimeSpan retryAfter)
    {
        user = null;
        retryAfter = TimeSpan.Zero;
        if (header["username"] is not { } name || header["nonce"] is not { } nonce || header["uri"] is not { } uri || header["response"] is not { } response)
        {
            return "a Digest answer without username, nonce, uri or response";
        }

        var algorithm = (header["algorithm"] ?? "MD5").ToUpperInvariant();
        if (!DigestHash.Algorithms.Contains(algorithm))
        {
            return $"Digest algorithm {algorithm} is not offered";
        }

        if (header["realm"] != _settings.Realm)
        {
            return "a Digest answer for another realm";
        }

        if (!SameResource(uri, request.Uri))
        {
            return $"a Digest answer for another URI ({uri})";
        }

        switch (_nonces.Check(nonce))
        {
            case NonceState.Invalid:
                return "a nonce this edge did not issue";
            case NonceState.Stale:
                return "stale";
        }

        if (TakeBudget(address, name, out retryAfter) is { } throttled)
        {
            return throttled.Why(name);
        }

        // A name no user has is hashed as a user's would be, with a password nothing matches.
        user = _users.GetValueOrDefault(name);
        var password = user is null ? _unknownDigestPassword : user.Password.Plain;
        if (password is null)
        {
            return $"user '{name}' has a hashed password, which works with Basic only";
        }

        var ha1 = DigestHash.Hex(algorithm, $"{name}:{_settings.Realm}:{password}");
        var ha2 = DigestHash.Hex(algorithm, $"{request.Method.Name()}:{uri}");
        string expected;
        var qop = header["qop"];
        if (qop is null)
        {
            expected = DigestHash.Hex(algorithm, $"{ha1}:{nonce}:{ha2}");
        }
        else if (qop == "auth" && header["nc"] is { } nc && header["cnonce"] is { } cnonce
            && long.TryParse(nc, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var count))
        {
            expected = DigestHash.Hex(algorithm, $"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}");
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(response.ToLowerInvariant()))
                && !_nonces.TakeCount(nonce, count))
            {
                return $"a replayed Digest answer (nonce count {nc} already used)";
            }
        }
        else
        {
            return $"Digest qop {qop} without nc and cnonce, or not auth";
        }

        if (user is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(response.ToLowerInvariant())))
        {
            _budget.GiveBack(address, name);
            return null;
        }

        user = null;
        return $"wrong user name or password (user '{name}')";
    }

    // The Digest uri names what the request line does: the same text, or the same path of an rtsp:// URL.
    private static bool SameResource(string digestUri, string requestUri)
    {
        if (digestUri == requestUri)
        {
            return true;
        }

        var digestPath = RtspUrl.TryParse(digestUri, out var a) ? a.Path : digestUri;
        var requestPath = RtspUrl.TryParse(requestUri, out var b) ? b.Path : requestUri;
        return digestPath.TrimEnd('/') == requestPath.TrimEnd('/');
    }

    private static bool TryBasic(AuthHeader header, out string name, out string password)
    {
        name = password = string.Empty;
        Span<byte> decoded = stackalloc byte[MaxHeaderLength];
        if (header.Token is not { } token || !Convert.TryFromBase64String(token, decoded, out var length))
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(decoded[..length]);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        (name, password) = (text[..colon], text[(colon + 1)..]);
        return true;
    }

    public void Dispose() => _verifier.Dispose();

    private AuthDecision Challenge(bool secure, bool stale, string? failure)
    {
        var challenges = new List<string>(3);
        if (_digest)
        {
            var nonce = _nonces.Issue();
            foreach (var algorithm in DigestHash.Algorithms)
            {
                challenges.Add($"Digest realm=\"{_settings.Realm}\", nonce=\"{nonce}\", algorithm={algorithm}, qop=\"auth\"{(stale ? ", stale=true" : string.Empty)}");
            }
        }

        if (BasicAllowed(secure))
        {
            challenges.Add($"Basic realm=\"{_settings.Realm}\"");
        }

        return new AuthDecision(RtspStatusCode.Unauthorized, null, challenges, failure);
    }
}

/// <summary>What to do with a request: 0 to go on, or the status to answer with its challenges.</summary>
/// <param name="Status">0 when allowed.</param>
/// <param name="User">The user, when known.</param>
/// <param name="Challenges">WWW-Authenticate values for a 401.</param>
/// <param name="Failure">Why a presented credential failed (for the log and metrics); null for no credential or a stale nonce.</param>
internal sealed record AuthDecision(int Status, string? User, IReadOnlyList<string> Challenges, string? Failure)
{
    public bool Allowed => Status == 0;

    /// <summary>When to try again: a spent failure budget, or a busy verifier (503); zero when it says nothing.</summary>
    public TimeSpan RetryAfter { get; init; }

    public static AuthDecision Allow(string? user) => new(0, user, [], null);
}

/// <summary>Why a login was not let in (None: it was).</summary>
internal enum LoginRefusal
{
    None,
    Wrong,
    TooManyFromAddress,
    TooManyForUser,
    Busy,
}

/// <summary>What checking a user name and password came to: the user, or why not and when to try again.</summary>
internal readonly record struct PasswordCheck(EdgeUser? User, LoginRefusal Refusal, TimeSpan RetryAfter)
{
    /// <summary>One line for the log and the answer.</summary>
    public string Why(string name) => Refusal switch
    {
        LoginRefusal.TooManyFromAddress => "too many failed logins from this address; not checked",
        LoginRefusal.TooManyForUser => $"too many failed logins for user '{name}'; not checked",
        LoginRefusal.Busy => "too many password checks under way; not checked",
        _ => $"wrong user name or password (user '{name}')",
    };
}

/// <summary>Basic credentials on HTTP: checked (<see cref="Check"/>), or of a name for the hook to decide.</summary>
internal readonly record struct HttpLogin(PasswordCheck Check, string? HookName, string? HookPassword);
