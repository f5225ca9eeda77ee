using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Settings;

/// <summary>
/// Checks the options at start-up so that a bad value stops the edge with a reason. What only a layer's own parser
/// can judge (a user's password hash, stream globs, address blocks) is checked by that layer's validator
/// (<c>Auth/AuthOptionsValidator</c>), so that the settings name nothing above them.
/// </summary>
internal sealed class EdgeOptionsValidator : IValidateOptions<EdgeOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeOptions options)
    {
        var failures = new List<string>();
        Port(failures, "Edge:Rtsp:Port", options.Rtsp.Port, allowZero: true);
        Port(failures, "Edge:Http:Port", options.Http.Port, allowZero: true);
        if (options.Rtsp.RtpPort != 0 && (options.Rtsp.RtpPort is < 1 or > 65534 || options.Rtsp.RtpPort % 2 != 0))
        {
            failures.Add($"Edge:Rtsp:RtpPort must be an even port from 2 to 65534, or 0 for any (was {options.Rtsp.RtpPort})");
        }

        var origins = options.Origin.OriginAddresses.Select(address => Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null).ToList();
        if (origins.Contains(null))
        {
            failures.Add($"Edge:Origin:Address and every Edge:Origin:Addresses entry must be an http:// or https:// URL (were '{string.Join("', '", options.Origin.OriginAddresses)}')");
        }

        if (options.Origin.OriginAddresses.Distinct(StringComparer.OrdinalIgnoreCase).Count() != options.Origin.OriginAddresses.Count)
        {
            failures.Add($"Edge:Origin:Addresses lists an origin twice ('{string.Join("', '", options.Origin.OriginAddresses)}')");
        }

        if (options.Origin.FailbackAfter <= TimeSpan.Zero || options.Origin.SlateAfter <= TimeSpan.Zero)
        {
            failures.Add($"Edge:Origin:FailbackAfter and Edge:Origin:SlateAfter must be positive (were {options.Origin.FailbackAfter} and {options.Origin.SlateAfter})");
        }

        if (options.Control.Tls == true && options.Rtsps.CertificatePath is null)
        {
            failures.Add("Edge:Control:Tls needs the edge's certificate: set Edge:Rtsps:CertificatePath (and KeyPath)");
        }

        if (options.Control.ClientCaPath is not null && !options.Control.UsesTls(options.Rtsps))
        {
            failures.Add("Edge:Control:ClientCaPath needs TLS on the control port: set Edge:Rtsps:CertificatePath, and leave Edge:Control:Tls unset or true");
        }
        else if (options.Control.ClientCaPath is { } ca && !File.Exists(ca))
        {
            failures.Add($"Edge:Control:ClientCaPath '{ca}' does not exist");
        }

        if (options.Control.MaxWatchers < 0 || options.Control.WatchQueue < 16)
        {
            failures.Add($"Edge:Control:MaxWatchers must be 0 or more and Edge:Control:WatchQueue at least 16 (were {options.Control.MaxWatchers} and {options.Control.WatchQueue})");
        }

        if (options.Rtsp.MaxConnections < 1)
        {
            failures.Add("Edge:Rtsp:MaxConnections must be at least 1");
        }

        if (options.Rtsp.MaxConnectionsPerAddress < 0)
        {
            failures.Add("Edge:Rtsp:MaxConnectionsPerAddress must be 0 (no cap) or more");
        }

        if (options.Rtsp.MaxSessions < 1)
        {
            failures.Add("Edge:Rtsp:MaxSessions must be at least 1");
        }

        if (options.Rtsp.MaxSessionsPerConnection < 1)
        {
            failures.Add("Edge:Rtsp:MaxSessionsPerConnection must be at least 1");
        }

        if (options.Http.MaxConnectionsPerAddress < 0 || options.Http.MaxViewersPerAddress < 0)
        {
            failures.Add($"Edge:Http:MaxConnectionsPerAddress and MaxViewersPerAddress must be 0 (no cap) or more (were {options.Http.MaxConnectionsPerAddress} and {options.Http.MaxViewersPerAddress})");
        }

        if (options.OnDemand.CacheBytes < 1 << 20 || options.OnDemand.RunFrames < 1 || options.OnDemand.ReadAheadFrames < 0 || options.OnDemand.RetryDelay <= TimeSpan.Zero || options.OnDemand.FetchTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Edge:OnDemand:CacheBytes must be at least 1 MiB, RunFrames at least 1, ReadAheadFrames 0 or more, RetryDelay and FetchTimeout above 0 (were {options.OnDemand.CacheBytes}, {options.OnDemand.RunFrames}, {options.OnDemand.ReadAheadFrames}, {options.OnDemand.RetryDelay}, {options.OnDemand.FetchTimeout})");
        }

        if (options.Http.MaxViewers < 0 || options.Http.MaxQueuedFrames < 1)
        {
            failures.Add("Edge:Http:MaxViewers must be 0 or more and Edge:Http:MaxQueuedFrames at least 1");
        }

        if (options.Http.WriteTimeout is { } httpWriteTimeout && httpWriteTimeout < TimeSpan.FromSeconds(1))
        {
            failures.Add("Edge:Http:WriteTimeout must be at least 1 second");
        }

        if (options.Rtsp.WriteTimeout < TimeSpan.FromSeconds(1))
        {
            failures.Add("Edge:Rtsp:WriteTimeout must be at least 1 second");
        }

        if (options.Rtsp.RequestTimeout < TimeSpan.FromSeconds(1))
        {
            failures.Add("Edge:Rtsp:RequestTimeout must be at least 1 second");
        }

        if (options.Rtsp.QuietGap <= TimeSpan.Zero || options.Rtsp.QuietGap >= options.Rtsp.RequestTimeout)
        {
            failures.Add("Edge:Rtsp:QuietGap must be above zero and below Edge:Rtsp:RequestTimeout");
        }

        if (options.Rtsp.MaxQueuedBytes < RtspSettings.MinQueuedBytes)
        {
            failures.Add($"Edge:Rtsp:MaxQueuedBytes must be at least {RtspSettings.MinQueuedBytes} (was {options.Rtsp.MaxQueuedBytes})");
        }

        if (options.Rtsp.SessionTimeout < TimeSpan.FromSeconds(5))
        {
            failures.Add("Edge:Rtsp:SessionTimeout must be at least 5 seconds");
        }

        if (options.Rtsp.MaxPayloadSize is < 400 or > 65000)
        {
            failures.Add($"Edge:Rtsp:MaxPayloadSize must be between 400 and 65000 (was {options.Rtsp.MaxPayloadSize})");
        }

        if (options.Rtsp.TcpQueueFrames < 1)
        {
            failures.Add("Edge:Rtsp:TcpQueueFrames must be at least 1");
        }

        ValidateAuth(failures, options.Auth);
        foreach (var (key, path) in new[] { ("CaPath", options.Origin.CaPath), ("ClientCertificatePath", options.Origin.ClientCertificatePath), ("ClientKeyPath", options.Origin.ClientKeyPath) })
        {
            if (path is not null && !File.Exists(path))
            {
                failures.Add($"Edge:Origin:{key} {path} does not exist");
            }
        }

        if ((options.Origin.CaPath ?? options.Origin.ClientCertificatePath) is not null && origins.Any(origin => origin?.Scheme != "https"))
        {
            failures.Add($"Edge:Origin:CaPath and ClientCertificatePath need https:// origins (were '{string.Join("', '", options.Origin.OriginAddresses)}')");
        }
        if (options.Rtsps.Enabled)
        {
            Port(failures, "Edge:Rtsps:Port", options.Rtsps.Port, allowZero: true);
            Certificate(failures, "Edge:Rtsps", options.Rtsps.Files());
        }

        if (options.Http.CertificatePath is not null)
        {
            Certificate(failures, "Edge:Http", options.Http.Files());
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateAuth(List<string> failures, AuthSettings auth)
    {
        if (auth.Methods is { } methods && (methods.Count == 0 || methods.Any(m => m.ToLowerInvariant() is not ("digest" or "basic"))))
        {
            failures.Add($"Edge:Auth:Methods must list digest and/or basic (was '{string.Join(',', methods)}')");
        }

        if (string.IsNullOrWhiteSpace(auth.Realm) || auth.Realm.Contains('"', StringComparison.Ordinal))
        {
            failures.Add("Edge:Auth:Realm must be non-empty and without quotes");
        }

        if (auth.HttpHook is { Length: > 0 } hook && (!Uri.TryCreate(hook, UriKind.Absolute, out var hookUri) || hookUri.Scheme is not ("http" or "https")))
        {
            failures.Add($"Edge:Auth:HttpHook must be an http:// or https:// URL (was '{hook}')");
        }

        if (auth.HttpHookTimeout <= TimeSpan.Zero || auth.HttpHookCacheTime < TimeSpan.Zero)
        {
            failures.Add("Edge:Auth:HttpHookTimeout must be above zero and HttpHookCacheTime zero or more");
        }

        if (auth.FailuresPerAddress < 0 || auth.FailuresPerUser < 0 || auth.FailureWindow <= TimeSpan.Zero)
        {
            failures.Add($"Edge:Auth:FailuresPerAddress and FailuresPerUser must be 0 (no limit) or more, and FailureWindow above zero (were {auth.FailuresPerAddress}, {auth.FailuresPerUser}, {auth.FailureWindow})");
        }

        if (auth.MaxVerifications < 0 || auth.MaxQueuedVerifications < 0 || auth.MaxVerificationsPerAddress < 0 || auth.VerifiedCacheTime < TimeSpan.Zero)
        {
            failures.Add($"Edge:Auth:MaxVerifications (0: the core count), MaxQueuedVerifications, MaxVerificationsPerAddress (0: no cap) and VerifiedCacheTime must be 0 or more");
        }

        if (auth.NonceLifetime < TimeSpan.FromSeconds(10))
        {
            failures.Add("Edge:Auth:NonceLifetime must be at least 10 seconds");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (index, user) in auth.Users.Index())
        {
            var key = $"Edge:Auth:Users:{index}";
            if (string.IsNullOrEmpty(user.Name) || user.Name.Any(c => c is ':' or '"' || char.IsControl(c)) || !names.Add(user.Name))
            {
                failures.Add($"{key}:Name must be set, unique, and without ':', quotes or control characters");
            }

            if (string.IsNullOrEmpty(user.Password))
            {
                failures.Add($"{key}:Password must be set");
            }
        }
    }

    // Loaded once now, so that a bad file stops the start with the reason rather than failing the first client.
    private static void Certificate(List<string> failures, string section, ServiceDefaults.Tls.CertificateFiles files)
    {
        try
        {
            using var certificate = files.Load();
            if (!certificate.HasPrivateKey)
            {
                failures.Add($"{section}:CertificatePath {files.CertificatePath} has no private key (set {section}:KeyPath for a PEM certificate)");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            failures.Add($"{section} certificate cannot be loaded: {ex.Message}");
        }
    }

    private static void Port(List<string> failures, string key, int port, bool allowZero)
    {
        if (port is < 0 or > 65535 || (port == 0 && !allowZero))
        {
            failures.Add($"{key} must be a port from 1 to 65535 (was {port})");
        }
    }
}
