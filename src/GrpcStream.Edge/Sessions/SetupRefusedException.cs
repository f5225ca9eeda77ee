namespace GrpcStream.Edge.Sessions;

/// <summary>A SETUP the edge will not serve, with the status to answer (453, 461, 503 with Retry-After).</summary>
internal sealed class SetupRefusedException(int statusCode, string reason, TimeSpan? retryAfter = null) : Exception(reason)
{
    public int StatusCode { get; } = statusCode;

    public TimeSpan? RetryAfter { get; } = retryAfter;
}
