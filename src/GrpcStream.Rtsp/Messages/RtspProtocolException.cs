namespace GrpcStream.Rtsp.Messages;

/// <summary>What is wrong with bytes received on an RTSP connection.</summary>
public enum RtspProtocolError
{
    StartLineTooLong,
    HeadersTooLarge,
    TooManyHeaders,
    BadStartLine,
    UnsupportedVersion,
    BadHeaderLine,
    BadContentLength,
    ContentTooLarge,
    BadCSeq,
}

/// <summary>
/// A malformed or oversized RTSP message. <see cref="StatusCode"/> is what a server should answer before it
/// closes the connection (the stream cannot be trusted to be in sync after this).
/// </summary>
public sealed class RtspProtocolException : Exception
{
    public RtspProtocolException(RtspProtocolError error, string message)
        : base(message)
    {
        Error = error;
    }

    public RtspProtocolError Error { get; }

    public int StatusCode => Error switch
    {
        RtspProtocolError.StartLineTooLong => RtspStatusCode.RequestUriTooLarge,
        RtspProtocolError.HeadersTooLarge or RtspProtocolError.TooManyHeaders => RtspStatusCode.RequestHeaderFieldsTooLarge,
        RtspProtocolError.ContentTooLarge => RtspStatusCode.RequestEntityTooLarge,
        RtspProtocolError.UnsupportedVersion => RtspStatusCode.RtspVersionNotSupported,
        _ => RtspStatusCode.BadRequest,
    };
}
