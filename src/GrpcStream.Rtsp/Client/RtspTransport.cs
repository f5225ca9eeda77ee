namespace GrpcStream.Rtsp.Client;

/// <summary>How RTP reaches a player.</summary>
public enum RtspTransport
{
    Udp,
    Tcp,
}
