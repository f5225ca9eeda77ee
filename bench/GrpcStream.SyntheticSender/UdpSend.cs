using System.Net;
using System.Net.Sockets;
using GrpcStream.Edge.Native;

namespace GrpcStream.SyntheticSender;

/// <summary>
/// A frame's datagrams to one UDP session: one segmented send (<c>UDP_SEGMENT</c>) for up to 46 packets of 1,412
/// bytes, as the edge sends; one <c>sendto</c> per packet where the system cannot segment.
/// </summary>
internal static class UdpSend
{
    private static bool s_segmentation = UdpSegmentation.IsAvailable;

    /// <summary>Sends the frame as stamped; returns the packets the kernel dropped (send buffer full, say).</summary>
    public static int Frame(Socket socket, SyntheticFrame frame, SocketAddress destination)
    {
        var dropped = 0;
        for (var run = 0; run < frame.RunCount; run++)
        {
            var datagrams = frame.Run(run);
            var result = s_segmentation
                ? UdpSegmentation.Send(socket, frame.Bytes, datagrams, frame.DatagramSize, destination)
                : SegmentedSendResult.Unsupported;
            if (result == SegmentedSendResult.Unsupported)
            {
                s_segmentation = false;
            }

            if (result == SegmentedSendResult.Dropped)
            {
                dropped += datagrams.Length;
            }
            else if (result != SegmentedSendResult.Sent)
            {
                dropped += OneByOne(socket, frame.Bytes, datagrams, destination);
            }
        }

        return dropped;
    }

    private static int OneByOne(Socket socket, ReadOnlySpan<byte> bytes, ReadOnlySpan<Range> datagrams, SocketAddress destination)
    {
        var dropped = 0;
        foreach (var datagram in datagrams)
        {
            try
            {
                socket.SendTo(bytes[datagram], SocketFlags.None, destination);
            }
            catch (SocketException)
            {
                dropped++; // a full buffer or an unreachable port: lost, as on the network
            }
        }

        return dropped;
    }
}
