namespace GrpcStream.Rtsp.Client;

/// <summary>A complete JPEG frame as received: a JFIF image rebuilt from RFC 2435 packets.</summary>
public sealed record ReceivedFrame(byte[] Jpeg, uint RtpTimestamp, TimeSpan ArrivedAfterPlay);
