namespace GrpcStream.Rtsp.Client;

/// <summary>The HTTP answer is not a JPEG or an MJPEG stream that can be read.</summary>
public sealed class HttpFrameException(string message) : Exception(message);
