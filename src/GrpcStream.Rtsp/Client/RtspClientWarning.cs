namespace GrpcStream.Rtsp.Client;

/// <summary>
/// A risk the caller should know of, told through <see cref="RtspClientOptions.Warning"/>: a value, not text, so
/// that the program using the library says it in its own words.
/// </summary>
public enum RtspClientWarning
{
    /// <summary>The server offered only Basic authentication: the password crosses the network readable by anyone on the way.</summary>
    BasicAuthenticationOnly,
}
