namespace GrpcStream.Rtsp.Client;

/// <summary>The HTTP server answered with an error status.</summary>
public sealed class HttpStatusException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
