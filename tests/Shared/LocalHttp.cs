using System.Net;
using System.Net.Sockets;

namespace GrpcStream.Testing;

/// <summary>HTTP clients whose connections come from a chosen loopback address (an attacker at 127.0.0.1, an honest user at 127.0.0.2).</summary>
public static class LocalHttp
{
    /// <param name="from">The local address every connection is bound to.</param>
    /// <param name="baseAddress">The server.</param>
    /// <param name="connections">Connections the client may open at once.</param>
    public static HttpClient From(string from, string baseAddress, int connections = 16) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        {
            BaseAddress = new Uri(baseAddress),
            Timeout = Timeout.InfiniteTimeSpan,
        };
}
