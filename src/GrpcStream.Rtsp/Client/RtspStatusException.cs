using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Rtsp.Client;

/// <summary>The server answered with an error status.</summary>
public sealed class RtspStatusException(RtspMethod method, int statusCode, string reason)
    : Exception($"{method.Name()} failed: {statusCode} {reason}")
{
    public RtspMethod Method { get; } = method;

    public int StatusCode { get; } = statusCode;

    public string Reason { get; } = reason;
}
