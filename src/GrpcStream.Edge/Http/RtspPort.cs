namespace GrpcStream.Edge.Http;

/// <summary>
/// The port the RTSP listener is bound to, for the RTSP URLs the stream page shows; known only once it listens
/// (port 0 in tests), and given by the host that composes both, so that the HTTP side does not name the listener.
/// </summary>
internal sealed class RtspPort(Func<int> port)
{
    public int Value => port();
}
