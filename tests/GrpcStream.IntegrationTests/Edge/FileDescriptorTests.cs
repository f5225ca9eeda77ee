using System.Globalization;
using System.Net;
using System.Net.Sockets;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge;

/// <summary>An edge process under a connection flood larger than its open-file limit.</summary>
public sealed class FileDescriptorTests
{
    [Fact]
    public async Task Connections_are_capped_below_the_open_file_limit_so_a_flood_cannot_exhaust_descriptors()
    {
        ExternalTool.Require("prlimit");
        var (rtsp, http) = (FreePorts.Tcp(), FreePorts.Tcp());
        await using var edge = ServiceProcess.Start(
            "Edge",
            [
                "--rtsp-port", Port(rtsp), "--http-port", Port(http), "--rtp-port", "0", "--Edge:Control:Port=0", "--origin", "http://127.0.0.1:9",
                "--Edge:Rtsp:MaxConnectionsPerAddress=0",
            ],
            launcher: ["prlimit", "--nofile=1024:1024"]);
        await edge.WaitHealthyAsync($"http://127.0.0.1:{http}/healthz");
        Assert.Single(edge.Output, l => l.Contains("the open-file limit leaves room for", StringComparison.Ordinal));

        // More connections than the edge has descriptors for, held open.
        var flood = new List<Socket>();
        try
        {
            for (var i = 0; i < 1100; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                flood.Add(socket);
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, rtsp, TestContext.Current.CancellationToken);
                }
                catch (SocketException)
                {
                    // Refused: the backlog is full.
                }
            }

            await Eventually.HoldsAsync(() => edge.Output.Any(l => l.Contains("Connection refused from", StringComparison.Ordinal)), "connections refused at the cap", TimeSpan.FromSeconds(30));
            await edge.WaitHealthyAsync($"http://127.0.0.1:{http}/healthz");
        }
        finally
        {
            foreach (var socket in flood)
            {
                socket.Dispose();
            }
        }

        // The edge never ran out: nothing failed for want of a descriptor, and a player is served once the flood is gone.
        await Eventually.HoldsAsync(() => AnswersOptionsAsync(rtsp), "an OPTIONS answered after the flood", TimeSpan.FromSeconds(30));
        Assert.False(edge.HasExited);
        Assert.DoesNotContain(edge.Output, l => l.Contains("Accepting connections failed", StringComparison.Ordinal) || l.Contains("Out of memory", StringComparison.Ordinal));
    }

    private static async Task<bool> AnswersOptionsAsync(int port)
    {
        try
        {
            await using var client = await RtspTestClient.ConnectAsync(port);
            return (await client.RequestAsync("OPTIONS", $"rtsp://127.0.0.1:{port}/movie.Mjpeg")).StatusCode == 200;
        }
        catch (Exception ex) when (ex is IOException or SocketException or EndOfStreamException or OperationCanceledException)
        {
            return false;
        }
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
