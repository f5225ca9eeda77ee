namespace GrpcStream.Rtsp.Client;

/// <summary>The URL or what the server described cannot be played (no JPEG video track, say).</summary>
public class RtspClientException(string message) : Exception(message);
