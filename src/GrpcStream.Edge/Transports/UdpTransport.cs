using System.Net;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Rtp;
using GrpcStream.Edge.Streams;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.Edge.Transports;

/// <summary>
/// RTP/AVP over UDP unicast from the shared sockets. The session's headers are written into the shared frame's
/// header room and the packets are sent as they lie: no copy of the payload per session. How they go to the
/// kernel, a frame per system call with UDP segmentation or a datagram per call, is chosen once, here.
/// </summary>
internal sealed class UdpTransport : IMediaTransport
{
    private readonly UdpRtpServer _server;
    private readonly EdgeMetrics _metrics;
    private readonly SocketAddress _rtp;
    private readonly SocketAddress _rtcp;
    private readonly IPEndPoint _rtcpEndPoint;
    private readonly Action<PacketizedFrame, SocketAddress> _write;
    private ITransportSession? _session;

    public UdpTransport(UdpRtpServer server, EdgeMetrics metrics, IPEndPoint rtp, IPEndPoint rtcp)
    {
        _server = server;
        _metrics = metrics;
        Destination = UdpRtpServer.Normalize(rtp);
        _rtcpEndPoint = UdpRtpServer.Normalize(rtcp);
        _rtp = Destination.Serialize();
        _rtcp = _rtcpEndPoint.Serialize();
        _write = server.Segmentation ? server.SendSegmented : server.SendEachPacket;
    }

    public string Kind => "udp";

    public IPEndPoint Destination { get; }

    public bool ExpiresWhenSilent => true;

    public string Describe(uint ssrc) => new TransportSpec
    {
        ClientPorts = new NumberRange(Destination.Port, _rtcpEndPoint.Port),
        ServerPorts = new NumberRange(_server.RtpPort, _server.RtcpPort),
        Ssrc = ssrc,
    }.ToString();

    public void Attach(ITransportSession session)
    {
        _session = session;
        _server.Register(_rtcpEndPoint, session);
    }

    public void Detach()
    {
        if (_session is { } session)
        {
            _server.Unregister(_rtcpEndPoint, session);
        }
    }

    public void SendFrame(RtpSender sender, SharedFrame frame)
    {
        var packets = frame.Packets;
        var (first, timestamp) = sender.Stamp(frame.Pts, packets.PacketCount);
        for (var i = 0; i < packets.PacketCount; i++)
        {
            var packet = packets.GetPacketWithHeaderRoom(i, RtpHeader.Size).Span;
            new RtpHeader(packets.IsLast(i), RtpJpegHeader.PayloadType, (ushort)(first + i), timestamp, sender.Ssrc).Write(packet);
        }

        _write(packets, _rtp);
        sender.Sent(packets.PacketCount, packets.PayloadBytes);
        _metrics.FrameSent(Kind, packets.PacketCount, packets.PayloadBytes + ((long)packets.PacketCount * RtpHeader.Size));
    }

    public void SendRtcp(ReadOnlySpan<byte> compound) => _server.SendRtcp(compound, _rtcp);
}
