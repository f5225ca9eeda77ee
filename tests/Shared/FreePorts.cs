using System.Net;
using System.Net.Sockets;

namespace GrpcStream.Testing;

/// <summary>
/// Ports for services a test starts as processes or on fixed addresses (in-process hosts use port 0). They are
/// picked below Linux's ephemeral range (32768-60999), where the kernel never puts an outgoing connection's or an
/// unbound socket's local port: a port asked of the kernel (port 0) and let go could be taken by any ffmpeg or gRPC
/// client before the service binds it. Each test process draws from its own slice, and never hands a port out twice.
/// </summary>
public static class FreePorts
{
    private const int First = 20000;
    private const int SliceSize = 2000;
    private const int Slices = 6;
    private static readonly HashSet<int> Given = [];
    private static readonly int SliceStart = First + (Environment.ProcessId % Slices * SliceSize);

    /// <summary>A TCP port that was free (on every address) a moment ago.</summary>
    public static int Tcp() => Pick(port => CanBind(() =>
    {
        using var listener = new TcpListener(IPAddress.Any, port);
        listener.Start();
    }));

    /// <summary>An even UDP port whose odd neighbour is free too, for an RTP/RTCP pair.</summary>
    public static int UdpPair() => Pick(port => port % 2 == 0 && CanBind(() =>
    {
        using var rtp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var rtcp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        rtp.Bind(new IPEndPoint(IPAddress.Any, port));
        rtcp.Bind(new IPEndPoint(IPAddress.Any, port + 1));
    }));

    private static int Pick(Func<int, bool> free)
    {
        lock (Given)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = SliceStart + Random.Shared.Next(SliceSize - 1);
                if (!Given.Contains(port) && !Given.Contains(port + 1) && free(port))
                {
                    Given.Add(port);
                    Given.Add(port + 1);
                    return port;
                }
            }
        }

        throw new InvalidOperationException("no free port found");
    }

    private static bool CanBind(Action bind)
    {
        try
        {
            bind();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
