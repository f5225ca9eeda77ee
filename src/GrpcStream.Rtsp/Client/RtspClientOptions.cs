namespace GrpcStream.Rtsp.Client;

/// <summary>
/// How an <see cref="RtspClientConnection"/> reaches the server and logs in: what players and publishers share.
/// Players take <see cref="RtspPlayerOptions"/>, which adds how media is received.
/// </summary>
public record RtspClientOptions
{
    /// <summary>How long to wait for each response.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for the TCP connection (and the TLS handshake).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public string UserAgent { get; init; } = "GrpcStream";

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The user to log in as; overrides the URL's user information (with <see cref="Password"/>).</summary>
    public string? UserName { get; init; }

    public string? Password { get; init; }

    /// <summary>For rtsps://: a PEM file of CA certificates to trust for the server's certificate, besides the system's.</summary>
    public string? TlsCaPath { get; init; }

    /// <summary>For rtsps://: accept any server certificate (encrypted, but anyone in the middle can read it).</summary>
    public bool AcceptAnyCertificate { get; init; }

    /// <summary>Told about risks the caller should know of (a password sent in clear, say), once each per connection.</summary>
    public Action<RtspClientWarning>? Warning { get; init; }
}
