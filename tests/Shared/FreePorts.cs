using System.Net;
using System.Net.Sockets;

namespace GrpcStream.Testing;

/// <summary>Ports for services a test starts as processes or on fixed addresses (in-process hosts use port 0).</summary>
public static class FreePorts
{
    /// <summary>A loopback TCP port that was free a moment ago.</summary>
    public static int Tcp()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
