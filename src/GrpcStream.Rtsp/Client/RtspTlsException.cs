namespace GrpcStream.Rtsp.Client;

/// <summary>
/// The server's certificate was not trusted (or the TLS handshake failed otherwise). The library names no way to
/// trust it: the program using it knows its own (a command line's options, say) and says so.
/// </summary>
public sealed class RtspTlsException(string message) : RtspClientException(message);
