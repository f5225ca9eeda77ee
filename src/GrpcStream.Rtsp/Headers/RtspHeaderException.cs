namespace GrpcStream.Rtsp.Headers;

/// <summary>A header value that does not follow its grammar.</summary>
public sealed class RtspHeaderException : FormatException
{
    public RtspHeaderException(string header, string message)
        : base($"{header}: {message}")
    {
        Header = header;
    }

    public RtspHeaderException()
    {
        Header = string.Empty;
    }

    public RtspHeaderException(string message)
        : base(message)
    {
        Header = string.Empty;
    }

    public RtspHeaderException(string message, Exception innerException)
        : base(message, innerException)
    {
        Header = string.Empty;
    }

    public string Header { get; }
}
