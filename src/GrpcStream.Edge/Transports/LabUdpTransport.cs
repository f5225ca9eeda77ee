using System.Net;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Rtp;
using GrpcStream.Edge.Streams;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.Edge.Transports;

/// <summary>
/// The classic lab client's transport (made only by <c>Requests.LabDialect</c>): each frame as one RTP
/// packet whose payload is the whole JPEG (not RFC 2435), to the one port it named, and no RTCP. Frames too large
/// for a datagram are skipped.
/// </summary>
internal sealed class LabUdpTransport(UdpRtpServer server, EdgeMetrics metrics, IPEndPoint rtp) : IMediaTransport
{
    private const int MaxDatagram = 65_507;
    private readonly SocketAddress _rtp = UdpRtpServer.Normalize(rtp).Serialize();

    public string Kind => "lab";

    public IPEndPoint Destination { get; } = UdpRtpServer.Normalize(rtp);

    public bool ExpiresWhenSilent => true;

    public string Describe(uint ssrc) => $"RTP/UDP;unicast;client_port={Destination.Port};server_port={server.RtpPort}";

    public void Attach(ITransportSession session)
    {
        // The lab client sends no RTCP.
    }

    public void Detach()
    {
    }

    public void SendFrame(RtpSender sender, SharedFrame frame)
    {
        var packet = frame.WholeFramePacket.Span;
        if (packet.Length > MaxDatagram)
        {
            sender.Dropped();
            metrics.FrameDropped(Kind);
            return;
        }

        var (sequence, timestamp) = sender.Stamp(frame.Pts, 1);
        new RtpHeader(true, RtpJpegHeader.PayloadType, sequence, timestamp, sender.Ssrc).Write(packet);
        server.SendRtp(packet, _rtp);
        sender.Sent(1, packet.Length - RtpHeader.Size);
        metrics.FrameSent(Kind, 1, packet.Length);
    }

    public void SendRtcp(ReadOnlySpan<byte> compound)
    {
        // The lab client has no RTCP port.
    }
}
