namespace GrpcStream.Cli.Commands;

/// <summary>What grpcstream's exit status means; scripts can tell a typo from a dead server from a 404.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Anything not covered below (a stream with no JPEG track, a file that cannot be written).</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong (unknown option, missing URL, bad value).</summary>
    public const int Usage = 2;

    /// <summary>The server could not be reached, or closed the connection.</summary>
    public const int ConnectionFailed = 3;

    /// <summary>The server answered with an error status (404, 454, 503...).</summary>
    public const int RtspError = 4;

    /// <summary>The server did not answer in time.</summary>
    public const int Timeout = 5;

    /// <summary>A control API call refused: no or a wrong token (UNAUTHENTICATED), or not allowed (PERMISSION_DENIED).</summary>
    public const int ControlRefused = 6;

    /// <summary>The server sent something that is not RTSP, or is past the client's limits (a body of gigabytes).</summary>
    public const int ProtocolError = 7;
}
