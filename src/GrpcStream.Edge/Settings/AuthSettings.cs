namespace GrpcStream.Edge.Settings;

/// <summary>Who may use the edge (<c>Edge:Auth</c>). No users: the edge is open to anyone, as before.</summary>
public sealed class AuthSettings
{
    public List<UserSettings> Users { get; set; } = [];

    /// <summary>
    /// <c>digest</c> and/or <c>basic</c>; unset means digest. Basic sends the password readable by anyone on the
    /// way, so over plain RTSP it is offered only when listed here.
    /// </summary>
    public List<string>? Methods { get; set; }

    /// <summary>The realm of challenges (part of every Digest hash: changing it invalidates stored HA1s).</summary>
    public string Realm { get; set; } = "GrpcStream";

    /// <summary>How long a Digest nonce is good for; after it the client is told <c>stale=true</c> and retries.</summary>
    public TimeSpan NonceLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A URL asked about Basic credentials no configured user has: POST <c>{user, password, address, stream, action,
    /// protocol}</c>, allowed on 2xx.
    /// </summary>
    public string? HttpHook { get; set; }

    /// <summary>How long the hook may take; no answer in time denies.</summary>
    public TimeSpan HttpHookTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the hook's answer to the same question is reused.</summary>
    public TimeSpan HttpHookCacheTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest an address waits for the answer to a failed attempt (the delay doubles per failure up to it).</summary>
    public TimeSpan MaxFailureDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Failed logins one client address may have at once over RTSP, RTSPS, HTTP and HTTPS together, refilled evenly
    /// over <see cref="FailureWindow"/>; past them its logins are refused unchecked (HTTP 429; RTSP 401 after the
    /// failure delay). 0: no limit.
    /// </summary>
    public int FailuresPerAddress { get; set; } = 20;

    /// <summary>Failed logins one user name may have at once from every address together, refilled likewise. 0: no limit.</summary>
    public int FailuresPerUser { get; set; } = 60;

    /// <summary>How long a spent failure budget takes to refill whole.</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Costly password checks (argon2) running at once; 0: as many as the machine has cores.</summary>
    public int MaxVerifications { get; set; }

    /// <summary>Costly password checks waiting for a turn; past it a login is refused unchecked (503 with Retry-After).</summary>
    public int MaxQueuedVerifications { get; set; } = 32;

    /// <summary>Costly password checks one client address may have running or waiting; past it, refused unchecked. 0: no cap.</summary>
    public int MaxVerificationsPerAddress { get; set; } = 1;

    /// <summary>How long right credentials of a costly password are remembered (a keyed hash), so that repeated requests are not checked again.</summary>
    public TimeSpan VerifiedCacheTime { get; set; } = TimeSpan.FromMinutes(1);
}

public sealed class UserSettings
{
    public string Name { get; set; } = string.Empty;

    /// <summary>Plain, or hashed as <c>sha256:BASE64</c> or <c>argon2:$argon2id$...</c> (hashed ones work with Basic only).</summary>
    public string Password { get; set; } = string.Empty;

    /// <summary>Glob patterns of the streams this user may use (<c>*</c> stops at '/', <c>**</c> does not); unset means all.</summary>
    public List<string>? Streams { get; set; }

    /// <summary><c>read</c>, <c>publish</c>, <c>metrics</c>; unset means read.</summary>
    public List<string>? Permissions { get; set; }

    /// <summary>CIDR blocks the user may come from; unset means anywhere.</summary>
    public List<string>? Addresses { get; set; }
}
