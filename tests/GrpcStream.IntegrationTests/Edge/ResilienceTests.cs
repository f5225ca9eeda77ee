using System.Net;
using System.Net.Sockets;
using System.Text;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge;

/// <summary>What the edge must survive: an origin restart mid-playback, and clients that misbehave.</summary>
public sealed class ResilienceTests(StreamingSystem system) : IClassFixture<StreamingSystem>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("grpcstream-resilience-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_player_keeps_receiving_across_an_origin_restart_without_a_new_setup()
    {
        var output = Path.Combine(_dir, "across.mjpeg");
        // 200 frames at 25 fps: about 8 s of playback, with the origin away for part of it.
        var player = ExternalTool.RunAsync("ffmpeg",
        [
            "-v", "error", "-rtsp_transport", "tcp", "-i", system.Url(), "-frames:v", "200", "-c:v", "copy", "-f", "mjpeg", "-y", output,
        ], timeout: TimeSpan.FromSeconds(90));

        // ffmpeg is playing once frames reach its file; the edge has lost the stream once it says so.
        await Eventually.HoldsAsync(() => File.Exists(output) && new FileInfo(output).Length > 0, "the player writes frames", TimeSpan.FromSeconds(30));
        system.Origin.Terminate();
        await system.Origin.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await Eventually.HoldsAsync(() => system.Edge.Output.Any(l => l.Contains("Origin stream movie.Mjpeg lost", StringComparison.Ordinal)), "the edge notices the origin is gone", TimeSpan.FromSeconds(30));
        await system.Origin.DisposeAsync();
        system.StartOrigin();
        await system.Origin.WaitHealthyAsync($"http://127.0.0.1:{system.OriginHttpPort}/healthz");

        await player;

        var frames = TestJpegs.SplitSimple(await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken));
        Assert.Equal(200, frames.Count);
        Assert.True(system.IsSourceFrame("movie.Mjpeg", await TestJpegs.DecodeAsync(frames[^1])));
        var log = string.Join('\n', system.Edge.Output);
        Assert.Contains("Origin stream movie.Mjpeg lost", log, StringComparison.Ordinal);
        Assert.True(log.Contains($"connected to http://127.0.0.1:{system.OriginPort} (resumed after ", StringComparison.Ordinal), log);
        Assert.Equal(1, system.Edge.Output.Count(l => l.Contains("movie.Mjpeg set up over tcp", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Bad_clients_get_errors_while_a_player_alongside_loses_nothing()
    {
        var output = Path.Combine(_dir, "healthy.mjpeg");
        var player = ExternalTool.RunAsync("ffmpeg",
        [
            "-rtsp_transport", "udp", "-i", system.Url(), "-frames:v", "150", "-c:v", "copy", "-f", "mjpeg", "-y", output,
        ], timeout: TimeSpan.FromSeconds(90));
        await Eventually.HoldsAsync(() => File.Exists(output) && new FileInfo(output).Length > 0, "the player alongside writes frames", TimeSpan.FromSeconds(30));

        // Garbage bytes: 400, then the connection is closed.
        await using (var garbage = await RtspTestClient.ConnectAsync(system.RtspPort))
        {
            await garbage.SendAsync([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03, (byte)'\r', (byte)'\n', (byte)'\r', (byte)'\n']);
            Assert.StartsWith("RTSP/1.0 400 ", Encoding.ASCII.GetString(await garbage.ReadRawAsync(TimeSpan.FromSeconds(2))), StringComparison.Ordinal);
            Assert.True(await garbage.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
        }

        // An endless header: 431 once it passes the limit, never an allocation to match.
        await using (var huge = await RtspTestClient.ConnectAsync(system.RtspPort))
        {
            await huge.SendAsync("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-Padding: " + new string('x', 40_000));
            Assert.StartsWith("RTSP/1.0 431 ", Encoding.ASCII.GetString(await huge.ReadRawAsync(TimeSpan.FromSeconds(2))), StringComparison.Ordinal);
        }

        // A request split over many segments is fine.
        await using (var split = await RtspTestClient.ConnectAsync(system.RtspPort))
        {
            foreach (var piece in "OPTIONS * RTSP/1.0\r\nCSeq: 7\r\n\r\n".Chunk(3))
            {
                await split.SendAsync(new string(piece));
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }

            Assert.Equal(200, (await split.ReadResponseAsync()).StatusCode);
        }

        // A slow sender is cut off after the request timeout (2 s here) with 408.
        await using (var slow = await RtspTestClient.ConnectAsync(system.RtspPort))
        {
            await slow.SendAsync("OPTIONS rtsp://127.0.0.1/movie.Mjpeg RTSP/1.0\r\nCSeq: 1\r\n");
            var answer = Encoding.ASCII.GetString(await slow.ReadRawAsync(TimeSpan.FromSeconds(5)));
            Assert.StartsWith("RTSP/1.0 408 ", answer, StringComparison.Ordinal);
        }

        // Nonsense ports and someone else's session.
        await using (var confused = await RtspTestClient.ConnectAsync(system.RtspPort))
        {
            Assert.Equal(461, (await confused.RequestAsync("SETUP", system.Url() + "/track1", ("Transport", "RTP/AVP;unicast;client_port=99999-100000"))).StatusCode);
            Assert.Equal(454, (await confused.RequestAsync("PLAY", system.Url(), ("Session", "4242424242424242"))).StatusCode);
        }

        // More idle connections than the limit (60 here): the extra ones are refused (reset, which a client may
        // see as soon as it connects), the player is untouched.
        var idle = new List<TcpClient>();
        var refused = 0;
        try
        {
            for (var i = 0; i < 80; i++)
            {
                var tcp = new TcpClient();
                idle.Add(tcp);
                try
                {
                    await tcp.ConnectAsync(IPAddress.Loopback, system.RtspPort, TestContext.Current.CancellationToken);
                    tcp.Client.Blocking = false;
                }
                catch (SocketException)
                {
                    refused++;
                }
            }

            var connected = idle.Where(c => c.Connected).ToList();
            await Eventually.HoldsAsync(() => refused + connected.Count(IsClosed) >= 20, "the connections over the limit are refused");
            Assert.True(connected.Count(c => !IsClosed(c)) <= 60, "more connections open than the limit");
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }

        var log = Encoding.UTF8.GetString(await player);
        var frames = TestJpegs.SplitSimple(await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken));
        Assert.Equal(150, frames.Count);
        Assert.DoesNotContain("missed", log, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>True when the server has closed or reset <paramref name="tcp"/> (a non-blocking socket).</summary>
    private static bool IsClosed(TcpClient tcp)
    {
        try
        {
            return tcp.Client.Receive(new byte[1]) == 0;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.WouldBlock)
        {
            return false; // still open
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
