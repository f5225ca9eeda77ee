using GrpcStream.Edge.Diagnostics;
using GrpcStream.Rtsp.Rtcp;

namespace GrpcStream.Edge.Transports;

/// <summary>Reads what a client's RTCP says about its session, over UDP or interleaved alike.</summary>
internal static class RtcpReports
{
    /// <summary>
    /// Applies the report blocks about the session's SSRC. Only a valid compound packet with such a block keeps
    /// the session alive: a packet that merely comes from the right address, or reports on someone else's
    /// stream, says nothing about whether this client still receives.
    /// </summary>
    /// <returns>Whether the packet showed that the client receives this session.</returns>
    public static bool Apply(ReadOnlySpan<byte> compound, ITransportSession session, EdgeMetrics metrics)
    {
        if (!RtcpReader.Validate(compound))
        {
            metrics.RtcpIgnored();
            return false;
        }

        var alive = false;
        var reader = new RtcpReader(compound);
        while (reader.TryRead(out var packet))
        {
            if (packet.Type is not (RtcpPacketType.ReceiverReport or RtcpPacketType.SenderReport))
            {
                continue;
            }

            for (var i = 0; i < packet.Count; i++)
            {
                if (packet.TryGetReportBlock(i, out var block) && block.Ssrc == session.Sender.Ssrc)
                {
                    metrics.ReceiverReport(session.Sender.OnReceiverReport(block));
                    alive = true;
                }
            }
        }

        if (alive)
        {
            session.Touch();
        }
        else
        {
            metrics.RtcpIgnored();
        }

        return alive;
    }
}
