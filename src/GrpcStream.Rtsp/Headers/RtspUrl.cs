namespace GrpcStream.Rtsp.Headers;

/// <summary>An rtsp:// or rtsps:// URL: host, port (554, or 322 for rtsps, when absent), path, and optional user information.</summary>
public sealed record RtspUrl
{
    public const int DefaultPort = 554;

    /// <summary>The default port of rtsps:// (RFC 2326's registration; servers often use 8322 instead).</summary>
    public const int DefaultTlsPort = 322;

    /// <summary>True for rtsps://: RTSP over TLS.</summary>
    public bool IsSecure { get; init; }

    public required string Host { get; init; }

    public int Port { get; init; } = DefaultPort;

    /// <summary>The path with its leading '/', unescaped ("/movie.Mjpeg").</summary>
    public string Path { get; init; } = "/";

    public string? UserName { get; init; }

    public string? Password { get; init; }

    /// <summary>The URL without user information, as sent in request lines.</summary>
    public Uri ToUri() => new UriBuilder(IsSecure ? "rtsps" : "rtsp", Host, Port, Path).Uri;

    public override string ToString() => ToUri().AbsoluteUri;

    public static bool TryParse(string text, out RtspUrl url)
    {
        url = null!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || !(uri.Scheme.Equals("rtsp", StringComparison.OrdinalIgnoreCase) || uri.Scheme.Equals("rtspu", StringComparison.OrdinalIgnoreCase) || uri.Scheme.Equals("rtsps", StringComparison.OrdinalIgnoreCase))
            || string.IsNullOrEmpty(uri.Host))
        {
            return false;
        }

        string? user = null, password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }

        var secure = uri.Scheme.Equals("rtsps", StringComparison.OrdinalIgnoreCase);
        url = new RtspUrl
        {
            IsSecure = secure,
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port < 0 ? (secure ? DefaultTlsPort : DefaultPort) : uri.Port,
            Path = Uri.UnescapeDataString(uri.AbsolutePath),
            UserName = user,
            Password = password,
        };
        return true;
    }

    public static RtspUrl Parse(string text) =>
        TryParse(text, out var url) ? url : throw new RtspHeaderException("URL", $"'{text}' is not an rtsp:// URL.");

    /// <summary>
    /// Resolves an SDP control attribute against a base URL (Content-Base, else the request URL) the way
    /// live555, ffmpeg and GStreamer do: "*" is the base itself, an absolute URL stands alone, an absolute path
    /// replaces the base's path, and anything else is appended to the base with one '/' between. (Plain RFC 3986
    /// resolution would drop the base's last segment when it does not end with '/', which no player does.)
    /// </summary>
    public static string ResolveControl(string baseUrl, string control)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(control);
        if (control == "*" || control.Length == 0)
        {
            return baseUrl;
        }

        if (Uri.TryCreate(control, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("rtsp", StringComparison.OrdinalIgnoreCase))
        {
            return control;
        }

        if (control.StartsWith('/'))
        {
            return new Uri(new Uri(baseUrl), control).AbsoluteUri;
        }

        return baseUrl.EndsWith('/') ? baseUrl + control : baseUrl + "/" + control;
    }
}
