using System.Net;
using System.Net.Sockets;

namespace GrpcStream.Rtsp.Rtp;

/// <summary>
/// Binds the two UDP sockets of an RTP session: RTP on an even port, RTCP on the next (RFC 3550 11). Asked for
/// port 0, it finds a free pair; Linux hands out odd ports for bind(0), so the even port at or below one the
/// system offers is tried, again if taken.
/// </summary>
public static class UdpPortPair
{
    public static (Socket Rtp, Socket Rtcp) Bind(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (port % 2 != 0 || port is < 0 or > 65534)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "An RTP port must be even (RTCP takes the next one).");
        }

        for (var attempt = 0; ; attempt++)
        {
            var candidate = port;
            if (candidate == 0)
            {
                using var probe = Create(address);
                probe.Bind(new IPEndPoint(address, 0));
                candidate = ((IPEndPoint)probe.LocalEndPoint!).Port & ~1;
            }

            var rtp = Create(address);
            var rtcp = Create(address);
            try
            {
                rtp.Bind(new IPEndPoint(address, candidate));
                rtcp.Bind(new IPEndPoint(address, candidate + 1));
                return (rtp, rtcp);
            }
            catch (SocketException) when (port == 0 && attempt < 50)
            {
                rtp.Dispose();
                rtcp.Dispose();
            }
            catch
            {
                rtp.Dispose();
                rtcp.Dispose();
                throw;
            }
        }
    }

    private static Socket Create(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.DualMode = true;
        }

        return socket;
    }
}
