namespace GrpcStream.Rtsp.Headers;

/// <summary>A header value that does not follow its grammar.</summary>
public sealed class RtspHeaderException : FormatException
{
    public RtspHeaderException(string header, string message)
        : base($"{header}: {message}")
    {
        Header = header;
    }

    public string Header { get; }
}
