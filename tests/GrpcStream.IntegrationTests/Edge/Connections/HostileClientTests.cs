using System.Net;
using System.Net.Sockets;
using System.Text;
using GrpcStream.Edge.Sessions;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Rtp;
using GrpcStream.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcStream.IntegrationTests.Edge.Connections;

/// <summary>
/// Attacks on the edge over real sockets. The attacker connects from 127.0.0.2 (players cannot choose their
/// address, so the honest one connects normally from 127.0.0.1); each test checks that the attacker is
/// contained and that an honest player alongside loses nothing.
/// </summary>
public class HostileClientTests
{
    private const string Attacker = "127.0.0.2";

    [Fact]
    public async Task A_client_that_pipelines_without_reading_is_cut_off_and_its_queue_stays_bounded()
    {
        const int bound = 256 * 1024;
        await using var host = await EdgeTestHost.StartAsync(true, "Rtsp:WriteTimeout=00:00:02", $"Rtsp:MaxQueuedBytes={bound}");
        await using var honest = await HonestPlayer.StartAsync(host.Url());
        using var attacker = await ConnectAsync(host.RtspPort, receiveBuffer: 4096);

        // Back-to-back OPTIONS, never reading an answer, until the edge hangs up (at most 64 MB or 30 s).
        var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("OPTIONS rtsp://127.0.0.1/movie.Mjpeg RTSP/1.0\r\nCSeq: 1\r\n\r\n", 1200)));
        var cutOff = false;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            limit.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                for (long sent = 0; sent < 64L * 1024 * 1024; sent += chunk.Length)
                {
                    await attacker.SendAsync(chunk, SocketFlags.None, limit.Token);
                }
            }
            catch (SocketException)
            {
                cutOff = true;
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                // Still connected after 30 s: asserted below.
            }
        }

        Assert.True(cutOff, "the edge kept the connection of a client that never reads");
        Assert.True(host.Metrics.LimitHits("write_timeout") >= 1);
        Assert.InRange(host.Metrics.QueuedBytesPeak, 1, bound);

        await honest.WaitForMoreFramesAsync(10);
        honest.AssertLostNothing(host);
    }

    [Theory]
    [InlineData("lab-style request with a short body", "SETUP movie.Mjpeg RTSP/1.0\nCSeq: 1\nContent-Length: 100")]
    [InlineData("standard request with a short body", "OPTIONS rtsp://127.0.0.1/movie.Mjpeg RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 100\r\n\r\n0123456789")]
    [InlineData("partial interleaved frame", "$\u0001\u0010\u0000abcdef")]
    [InlineData("partial request line", "OPTIONS rtsp://127.0.0.1/movie")]
    public async Task A_partial_message_is_cut_off_after_the_request_timeout(string what, string bytes)
    {
        await using var host = await EdgeTestHost.StartAsync(true, "Rtsp:RequestTimeout=00:00:02");
        await using var honest = await HonestPlayer.StartAsync(host.Url());
        await using var slow = await RtspTestClient.ConnectAsync(host.RtspPort, from: Attacker);

        await slow.SendAsync(Encoding.Latin1.GetBytes(bytes));
        var answer = Encoding.ASCII.GetString(await slow.ReadRawAsync(TimeSpan.FromSeconds(10)));

        Assert.True(answer.StartsWith("RTSP/1.0 408 ", StringComparison.Ordinal), $"{what}: '{answer}'");
        Assert.True(await slow.IsClosedByServerAsync(TimeSpan.FromSeconds(5)), what);
        Assert.True(host.Metrics.LimitHits("request_timeout") >= 1);
        await honest.WaitForMoreFramesAsync(10);
        honest.AssertLostNothing(host);
    }

    [Fact]
    public async Task Connections_past_the_per_address_cap_are_refused_and_other_addresses_are_not()
    {
        await using var host = await EdgeTestHost.StartAsync(true, "Rtsp:MaxConnectionsPerAddress=3");
        var held = new List<RtspTestClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                held.Add(await RtspTestClient.ConnectAsync(host.RtspPort, from: Attacker));
                Assert.Equal(200, (await held[i].RequestAsync("OPTIONS", host.Url())).StatusCode);
            }

            Assert.False(await AnswersOptionsAsync(host));

            Assert.True(host.Metrics.LimitHits("max_connections_per_address") >= 1);

            // Another address is not affected.
            await using var honest = await HonestPlayer.StartAsync(host.Url());
            await honest.WaitForMoreFramesAsync(10);

            // Once one of the three goes, the address may connect again.
            await held[0].DisposeAsync();
            held.RemoveAt(0);
            await Eventually.HoldsAsync(async () => await AnswersOptionsAsync(host), "a new connection from the attacker's address after one closed");
            honest.AssertLostNothing(host);
        }
        finally
        {
            foreach (var client in held)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_udp_port_pair_carries_one_session_however_many_setups_name_it()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var honest = await HonestPlayer.StartAsync(host.Url());
        var (rtp, rtcp) = UdpPortPair.Bind(IPAddress.Parse(Attacker), 0);
        using var rtpSocket = rtp;
        using var rtcpSocket = rtcp;
        var port = ((IPEndPoint)rtp.LocalEndPoint!).Port;
        var transport = ("Transport", $"RTP/AVP;unicast;client_port={port}-{port + 1}");

        // Fifty SETUPs on one connection for one port pair: one session; the rest are refused.
        await using var flooder = await RtspTestClient.ConnectAsync(host.RtspPort, from: Attacker);
        var statuses = new List<int>();
        string? first = null;
        for (var i = 0; i < 50; i++)
        {
            var setup = await flooder.RequestAsync("SETUP", host.Url() + "/track1", transport);
            statuses.Add(setup.StatusCode);
            first ??= setup.StatusCode == 200 ? SessionHeader.Parse(setup.GetHeader("Session")!).Id : null;
        }

        Assert.Equal(1, statuses.Count(s => s == 200));
        Assert.Equal(49, statuses.Count(s => s == 461));
        Assert.Equal(200, (await flooder.RequestAsync("PLAY", host.Url(), ("Session", first!))).StatusCode);
        Assert.Equal(1, host.Metrics.Sessions("udp"));

        // A new connection from the same address (a restarted client) takes the pair over: the old session
        // gets a BYE and ends, and only the new one streams to the port.
        await using var restarted = await RtspTestClient.ConnectAsync(host.RtspPort, from: Attacker);
        var takeover = await restarted.RequestAsync("SETUP", host.Url() + "/track1", transport);
        Assert.Equal(200, takeover.StatusCode);
        var ssrc = Assert.Single(TransportHeader.Parse(takeover.GetHeader("Transport")!)).Ssrc;
        var second = SessionHeader.Parse(takeover.GetHeader("Session")!).Id;
        Assert.Equal(200, (await restarted.RequestAsync("PLAY", host.Url(), ("Session", second))).StatusCode);
        Assert.Equal(454, (await flooder.RequestAsync("PLAY", host.Url(), ("Session", first!))).StatusCode);
        await ReceiveUntilAsync(rtcpSocket, packet => HasBye(packet), "a BYE for the replaced session");

        // Drain what was already on its way (the old session's last frame may straddle the new one's first: the
        // fan-out sends a frame to its sessions in turn), then every packet must be the new session's.
        for (var frame = 0; frame < 2; frame++)
        {
            await ReceiveUntilAsync(rtpSocket, packet => RtpPacket.TryParse(packet, out var p) == RtpPacketError.None && p.Header.Ssrc == ssrc && p.Header.Marker, "a whole frame of the new session");
        }

        for (var i = 0; i < 50; i++)
        {
            var packet = await ReceiveAsync(rtpSocket);
            Assert.Equal(RtpPacketError.None, RtpPacket.TryParse(packet, out var parsed));
            Assert.Equal(ssrc, parsed.Header.Ssrc);
        }

        Assert.Equal(1, host.Metrics.Sessions("udp"));
        await honest.WaitForMoreFramesAsync(10);
        honest.AssertLostNothing(host);
    }

    [Fact]
    public async Task Setups_that_fail_or_are_abandoned_midway_give_the_stream_back()
    {
        await using var host = await EdgeTestHost.StartAsync(true, "Origin:Linger=00:00:01");
        var (rtp, rtcp) = UdpPortPair.Bind(IPAddress.Parse(Attacker), 0);
        using var rtpSocket = rtp;
        using var rtcpSocket = rtcp;
        var port = ((IPEndPoint)rtp.LocalEndPoint!).Port;
        var transport = ("Transport", $"RTP/AVP;unicast;client_port={port}-{port + 1}");

        await using (var client = await RtspTestClient.ConnectAsync(host.RtspPort, from: Attacker))
        {
            // A SETUP that fails after the stream was acquired (the port pair is taken by this connection).
            var setup = await client.RequestAsync("SETUP", host.Url() + "/track1", transport);
            Assert.Equal(461, (await client.RequestAsync("SETUP", host.Url() + "/track1", transport)).StatusCode);
            Assert.Equal(200, (await client.RequestAsync("TEARDOWN", host.Url(), ("Session", SessionHeader.Parse(setup.GetHeader("Session")!).Id))).StatusCode);
        }

        // SETUPs abandoned by clients that hang up before the answer.
        for (var i = 0; i < 5; i++)
        {
            await using var quitter = await RtspTestClient.ConnectAsync(host.RtspPort, from: Attacker);
            await quitter.SendAsync($"SETUP {host.Url()}/track1 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n");
        }

        await Eventually.HoldsAsync(
            async () => (await host.OriginMetricsAsync()).Sum("grpcstream_origin_subscribers", ("stream", "movie.Mjpeg")) == 0,
            "the origin subscription ends after the linger");
        Assert.Equal(0, host.Edge.Services.GetRequiredService<SessionRegistry>().Count);
    }

    private static async Task<bool> AnswersOptionsAsync(EdgeTestHost host)
    {
        try
        {
            await using var client = await RtspTestClient.ConnectAsync(host.RtspPort, from: Attacker);
            await client.SendAsync($"OPTIONS {host.Url()} RTSP/1.0\r\nCSeq: 1\r\n\r\n");
            return (await client.ReadResponseAsync(TimeSpan.FromSeconds(2))).StatusCode == 200;
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<Socket> ConnectAsync(int port, int receiveBuffer)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = receiveBuffer };
        socket.Bind(new IPEndPoint(IPAddress.Parse(Attacker), 0));
        await socket.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        return socket;
    }

    private static async Task<byte[]> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[2048];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var length = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return buffer[..length];
    }

    private static async Task ReceiveUntilAsync(Socket socket, Func<byte[], bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition(await ReceiveAsync(socket)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
        }
    }

    private static bool HasBye(byte[] compound)
    {
        if (!GrpcStream.Rtsp.Rtcp.RtcpReader.Validate(compound))
        {
            return false;
        }

        var reader = new GrpcStream.Rtsp.Rtcp.RtcpReader(compound);
        while (reader.TryRead(out var packet))
        {
            if (packet.Type == GrpcStream.Rtsp.Rtcp.RtcpPacketType.Goodbye)
            {
                return true;
            }
        }

        return false;
    }
}
