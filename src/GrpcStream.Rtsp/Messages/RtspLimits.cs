namespace GrpcStream.Rtsp.Messages;

/// <summary>
/// Bounds on what one RTSP message may take, enforced by <see cref="RtspMessageReader"/> before anything is
/// allocated for it. The defaults are generous for real players and small for an attacker.
/// </summary>
public sealed record RtspLimits
{
    public static RtspLimits Default { get; } = new();

    /// <summary>The request or status line, without its line ending.</summary>
    public int MaxStartLineLength { get; init; } = 4096;

    /// <summary>All header lines of one message together, line endings included.</summary>
    public int MaxHeaderBytes { get; init; } = 16 * 1024;

    public int MaxHeaderCount { get; init; } = 64;

    /// <summary>Largest body (RTSP bodies are SDP or parameters: small).</summary>
    public int MaxContentLength { get; init; } = 64 * 1024;
}
