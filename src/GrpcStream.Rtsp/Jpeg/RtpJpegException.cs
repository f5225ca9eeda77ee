namespace GrpcStream.Rtsp.Jpeg;

/// <summary>A frame that cannot be sent as RFC 2435 RTP/JPEG as it is, with the reason.</summary>
public sealed class RtpJpegException : Exception
{
    public RtpJpegException(RtpJpegIncompatibility reason)
        : base($"The JPEG image cannot be carried by RFC 2435 as it is: {reason}.")
    {
        Reason = reason;
    }

    public RtpJpegIncompatibility Reason { get; }
}
