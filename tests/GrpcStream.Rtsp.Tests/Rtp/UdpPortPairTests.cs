using System.Net;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.Rtsp.Tests.Rtp;

public class UdpPortPairTests
{
    [Fact]
    public void Any_port_gives_an_even_rtp_port_and_the_next_for_rtcp()
    {
        for (var i = 0; i < 20; i++)
        {
            var (rtp, rtcp) = UdpPortPair.Bind(IPAddress.Loopback, 0);
            using (rtp)
            using (rtcp)
            {
                var rtpPort = ((IPEndPoint)rtp.LocalEndPoint!).Port;
                Assert.Equal(0, rtpPort % 2);
                Assert.Equal(rtpPort + 1, ((IPEndPoint)rtcp.LocalEndPoint!).Port);
            }
        }
    }

    [Fact]
    public void A_taken_fixed_port_is_an_error_and_an_odd_one_is_refused()
    {
        var (rtp, rtcp) = UdpPortPair.Bind(IPAddress.Loopback, 0);
        using (rtp)
        using (rtcp)
        {
            var port = ((IPEndPoint)rtp.LocalEndPoint!).Port;
            Assert.Throws<System.Net.Sockets.SocketException>(() => UdpPortPair.Bind(IPAddress.Loopback, port));
            Assert.Throws<ArgumentOutOfRangeException>(() => UdpPortPair.Bind(IPAddress.Loopback, port + 1));
        }
    }
}
