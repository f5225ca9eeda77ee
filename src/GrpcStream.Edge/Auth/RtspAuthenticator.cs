using System.Net;
using System.Security.Cryptography;
using System.Text;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Hosting;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Auth;

/// <summary>
/// Checks a request's credentials against the configured users: Digest (RFC 7616 SHA-256 and RFC 2617 MD5,
/// offered in that order) and, where allowed, Basic. Says who the user is, or which status to answer and which
/// challenges go with it. With no users configured everything is allowed.
/// </summary>
internal sealed class RtspAuthenticator
{
    /// <summary>An Authorization header longer than this is refused unread.</summary>
    public const int MaxHeaderLength = 4096;

    private readonly AuthSettings _settings;
    private readonly Dictionary<string, EdgeUser> _users;
    private readonly bool _basicAnywhere;
    private readonly bool _digest;
    private readonly DigestNonces _nonces;
    private readonly bool _hooked;

    public RtspAuthenticator(IOptions<EdgeOptions> options, TimeProvider time, ILogger<RtspAuthenticator> logger)
    {
        _settings = options.Value.Auth;
        _users = _settings.Users.Select(u => new EdgeUser(u)).ToDictionary(u => u.Name, StringComparer.Ordinal);
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
    public AuthDecision Check(RtspMessage request, string? stream, IPAddress address, Permission permission, bool secure = false)
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

            user = _users.GetValueOrDefault(name);
            if (user is null && _hooked)
            {
                return new AuthDecision(AuthDecision.AskHook, name, [], null) { HookPassword = password };
            }

            if (user is null || !user.Password.Verify(password))
            {
                return Challenge(secure, stale: false, $"wrong user name or password (user '{name}')");
            }
        }
        else if (header.IsScheme("Digest") && _digest)
        {
            var result = CheckDigest(request, header, out user);
            if (result is not null)
            {
                return result == "stale" ? Challenge(secure, stale: true, failure: null) : Challenge(secure, stale: false, result);
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

    /// <summary>
    /// Basic credentials on HTTP, where only Basic is offered: the configured user they name when the password is
    /// right, or (<paramref name="hookName"/> set) a name no user has, for the hook to decide; null and no name when
    /// they are wrong or malformed.
    /// </summary>
    public EdgeUser? CheckBasic(string? authorization, out string? hookName, out string? hookPassword)
    {
        hookName = hookPassword = null;
        if (authorization is null || authorization.Length > MaxHeaderLength || !AuthHeader.TryParse(authorization, out var header)
            || !header.IsScheme("Basic") || !TryBasic(header, out var name, out var password))
        {
            return null;
        }

        if (_users.GetValueOrDefault(name) is not { } user)
        {
            (hookName, hookPassword) = _hooked ? (name, password) : (null, null);
            return null;
        }

        return user.Password.Verify(password) ? user : null;
    }

    // Null when the response is right and the user known; "stale" for an expired nonce; otherwise why not.
    private string? CheckDigest(RtspMessage request, AuthHeader header, out EdgeUser? user)
    {
        user = null;
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

        user = _users.GetValueOrDefault(name);
        if (user?.Password.Plain is not { } password)
        {
            return user is null
                ? $"wrong user name or password (user '{name}')"
                : $"user '{name}' has a hashed password, which works with Basic only";
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

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(response.ToLowerInvariant()))
            ? null
            : $"wrong user name or password (user '{name}')";
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

    /// <summary>The 401 for credentials the hook refused.</summary>
    public AuthDecision HookRefused(string user, bool secure) => Challenge(secure, stale: false, $"the authentication hook refused user '{user}'");

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
    /// <summary>Not decided here: Basic credentials of no configured user, for the HTTP hook.</summary>
    public const int AskHook = -1;

    public bool Allowed => Status == 0;

    /// <summary>The password to ask the hook about (<see cref="AskHook"/> only).</summary>
    public string? HookPassword { get; init; }

    public static AuthDecision Allow(string? user) => new(0, user, [], null);
}
