using System.Net;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Streams;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.Edge.Transports;

/// <summary>
/// RTP over UDP unicast from the shared sockets. The session's headers are written into the shared frame's
/// header room and the packets are sent as they lie (a frame per system call where the system segments UDP): no
/// copy of the payload per session.
/// </summary>
internal sealed class UdpSessionTransport : SessionTransport
{
    private readonly UdpRtpServer _server;
    private readonly EdgeMetrics _metrics;
    private readonly SocketAddress _rtp;
    private readonly SocketAddress _rtcp;

    public UdpSessionTransport(UdpRtpServer server, EdgeMetrics metrics, IPEndPoint rtp, IPEndPoint rtcp)
    {
        _server = server;
        _metrics = metrics;
        RtpEndPoint = UdpRtpServer.Normalize(rtp);
        RtcpEndPoint = UdpRtpServer.Normalize(rtcp);
        _rtp = RtpEndPoint.Serialize();
        _rtcp = RtcpEndPoint.Serialize();
    }

    public override string Kind => "udp";

    public IPEndPoint RtpEndPoint { get; }

    public IPEndPoint RtcpEndPoint { get; }

    public override void Send(RtspSession session, SharedFrame frame)
    {
        var packets = frame.Packets;
        var first = session.TakeSequenceNumbers(packets.PacketCount);
        var timestamp = session.RtpTimeOf(frame.Pts);
        for (var i = 0; i < packets.PacketCount; i++)
        {
            var packet = packets.GetPacketWithHeaderRoom(i, RtpHeader.Size).Span;
            new RtpHeader(packets.IsLast(i), RtpJpegHeader.PayloadType, (ushort)(first + i), timestamp, session.Ssrc).Write(packet);
        }

        _server.SendRtp(packets, _rtp);
        Count(session, packets.PacketCount, packets.PayloadBytes + ((long)packets.PacketCount * RtpHeader.Size));
    }

    public override void SendRtcp(ReadOnlySpan<byte> compound) => _server.SendRtcp(compound, _rtcp);

    private void Count(RtspSession session, int packets, long bytes)
    {
        session.FramesSent++;
        session.PacketsSent += packets;
        session.OctetsSent += bytes - (packets * RtpHeader.Size);
        _metrics.FrameSent(Kind, packets, bytes);
    }
}

/// <summary>
/// The classic lab client's transport: each frame as one RTP packet whose payload is the whole JPEG (not RFC
/// 2435), to the one port it named. Frames too large for a datagram are skipped.
/// </summary>
internal sealed class LabUdpTransport(UdpRtpServer server, EdgeMetrics metrics, IPEndPoint rtp) : SessionTransport
{
    private const int MaxDatagram = 65_507;
    private readonly SocketAddress _rtp = UdpRtpServer.Normalize(rtp).Serialize();

    public override string Kind => "lab";

    public IPEndPoint RtpEndPoint { get; } = rtp;

    public override void Send(RtspSession session, SharedFrame frame)
    {
        var packet = frame.WholeFramePacket.Span;
        if (packet.IsEmpty)
        {
            return; // made before this lab session played; the next frame carries it
        }

        if (packet.Length > MaxDatagram)
        {
            session.FramesDropped++;
            metrics.FrameDropped(Kind);
            return;
        }

        new RtpHeader(true, RtpJpegHeader.PayloadType, session.TakeSequenceNumbers(1), session.RtpTimeOf(frame.Pts), session.Ssrc).Write(packet);
        server.SendRtp(packet, _rtp);
        session.FramesSent++;
        session.PacketsSent++;
        session.OctetsSent += packet.Length - RtpHeader.Size;
        metrics.FrameSent(Kind, 1, packet.Length);
    }

    public override void SendRtcp(ReadOnlySpan<byte> compound)
    {
        // The lab client has no RTCP port.
    }
}
