using System.Net.Sockets;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtcp;
using GrpcStream.Rtsp.Rtp;
using GrpcStream.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using System.Net;
using GrpcStream.Edge.Hosting;
using GrpcStream.Edge.Sessions;

namespace GrpcStream.IntegrationTests.Edge.Sessions;

/// <summary>Session keepalive, timeout, RTCP, slow readers and origin outages, with the edge on a fake clock where time matters.</summary>
public class SessionLifeTests
{
    // On a fake clock, a jump of a minute must not look like a send or a request that took that long.
    private static readonly string[] FakeClockSettings = ["Rtsp:WriteTimeout=1.00:00:00", "Rtsp:RequestTimeout=1.00:00:00"];

    [Fact]
    public async Task Sender_reports_flow_receiver_reports_count_and_a_silent_session_expires_with_a_bye()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await EdgeTestHost.StartAsync(true, time, [], FakeClockSettings);
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);
        var (session, ssrc) = await PlayTcpAsync(host, client);
        await CollectFramesAsync(client, [], 1);

        // A sender report is due every 5 s; it counts the frame already received.
        time.Advance(TimeSpan.FromSeconds(6));
        var sr = await WaitForRtcpAsync(client, RtcpPacketType.SenderReport);
        Assert.Equal(ssrc, sr.Ssrc);
        Assert.True(sr.Info.PacketCount > 0);
        Assert.InRange((sr.Info.Ntp.ToDateTime() - time.GetUtcNow()).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(1));

        // A receiver report from the client is read and counted (before the next request on the same connection).
        var rr = new byte[64];
        var length = RtcpWriter.ReceiverReport(rr, 0x1234, [new ReportBlock(ssrc, 8, 3, 1000, 40, 0, 0)]);
        var framed = new byte[4 + length];
        RtspWriter.WriteInterleavedHeader(framed, 1, length);
        rr.AsSpan(0, length).CopyTo(framed.AsSpan(4));
        await client.SendAsync(framed);

        // Requests keep the session alive past its 60 s timeout...
        time.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(200, (await client.RequestAsync("GET_PARAMETER", host.Url(), ("Session", session))).StatusCode);
        time.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(200, (await client.RequestAsync("GET_PARAMETER", host.Url(), ("Session", session))).StatusCode);
        Assert.Equal(1, host.Metrics.ReceiverReports);

        // ...and silence ends it: a BYE, then its id is unknown. An OPTIONS halfway keeps the connection open (it
        // is not about the session), so that the 454 can be asked for on it.
        client.Interleaved.Clear();
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(200, (await client.RequestAsync("OPTIONS", host.Url())).StatusCode);
        time.Advance(TimeSpan.FromSeconds(31));
        var registry = host.Edge.Services.GetRequiredService<SessionRegistry>();
        await Eventually.HoldsAsync(() => registry.Count == 0, "the silent session expires");
        Assert.Equal(454, (await client.RequestAsync("PLAY", host.Url(), ("Session", session))).StatusCode);

        Assert.Contains(client.Interleaved, f => f.Channel == 1 && HasPacket(f.Payload, RtcpPacketType.Goodbye));
    }

    [Fact]
    public async Task Only_a_receiver_report_about_its_own_ssrc_keeps_a_udp_session_alive()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await EdgeTestHost.StartAsync(true, time, [], FakeClockSettings);
        var registry = host.Edge.Services.GetRequiredService<SessionRegistry>();
        await using var reporter = await UdpPlayer.StartAsync(host);
        await using var intruder = await UdpPlayer.StartAsync(host);

        // Both are silent on RTSP. One reports on its own stream; the other names a stream that is not its own,
        // from the right address and port.
        time.Advance(TimeSpan.FromSeconds(40));
        await reporter.SendReceiverReportAsync(host, reporter.Ssrc);
        await intruder.SendReceiverReportAsync(host, intruder.Ssrc ^ 0xFFFF);
        await Eventually.HoldsAsync(() => host.Metrics.ReceiverReports >= 1 && host.Metrics.RtcpIgnored >= 1, "both reports read");

        // At 65 s the intruder's session has expired; the reporter's, touched at 40 s, has not.
        time.Advance(TimeSpan.FromSeconds(25));
        await Eventually.HoldsAsync(() => !registry.TryGet(intruder.Session, out _), "the session with a foreign report expires");
        await intruder.ReceiveRtcpUntilAsync(RtcpPacketType.Goodbye);

        // A later maintenance pass sends the reporter a sender report, not a BYE: it is alive.
        time.Advance(TimeSpan.FromSeconds(5));
        await reporter.ReceiveRtcpUntilAsync(RtcpPacketType.SenderReport, after: time.GetUtcNow() - TimeSpan.FromSeconds(1));
        Assert.True(registry.TryGet(reporter.Session, out _));
    }

    [Fact]
    public async Task Teardown_sends_a_bye_before_its_answer()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);
        var (session, _) = await PlayTcpAsync(host, client);
        client.Interleaved.Clear();

        Assert.Equal(200, (await client.RequestAsync("TEARDOWN", host.Url(), ("Session", session))).StatusCode);

        Assert.Contains(client.Interleaved, f => f.Channel == 1 && HasPacket(f.Payload, RtcpPacketType.Goodbye));
    }

    [Fact]
    public async Task Shutdown_says_bye_to_every_session_and_closes_within_seconds()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);
        await PlayTcpAsync(host, client);
        client.Interleaved.Clear();

        // Stopping ends (the host's shutdown timeout bounds it), and closes the connection after the BYE.
        await host.Edge.StopAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<EndOfStreamException>(() => client.ReadResponseAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(client.Interleaved, f => f.Channel == 1 && HasPacket(f.Payload, RtcpPacketType.Goodbye));
    }

    [Fact]
    public async Task A_tcp_reader_that_stops_reading_loses_whole_frames_alone()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, ["FrameRate=100"], "Rtsp:TcpQueueFrames=2");
        await using var healthy = await RtspTestClient.ConnectAsync(host.RtspPort);
        using var stalled = new TcpClient { ReceiveBufferSize = 4096 };
        await stalled.ConnectAsync("127.0.0.1", host.RtspPort, TestContext.Current.CancellationToken);
        var stream = stalled.GetStream();
        await stream.WriteAsync("SETUP rtsp://127.0.0.1/movie.Mjpeg/track1 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken);
        var id = System.Text.RegularExpressions.Regex.Match(System.Text.Encoding.ASCII.GetString(buffer, 0, read), "Session: ([0-9]+)").Groups[1].Value;
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"PLAY rtsp://127.0.0.1/movie.Mjpeg RTSP/1.0\r\nCSeq: 2\r\nSession: {id}\r\n\r\n"), TestContext.Current.CancellationToken);

        // The stalled client now reads nothing; the healthy one plays alongside, read as its packets come, until
        // the stalled one has lost frames and the healthy one has had more than ten whole.
        await PlayTcpAsync(host, healthy);
        var depacketizer = new RtpJpegDepacketizer();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (host.Metrics.FramesDropped("tcp") < 1 || depacketizer.FramesCompleted <= 10)
        {
            Assert.False(deadline.IsCancellationRequested, $"after a minute: {host.Metrics.FramesDropped("tcp")} frames dropped, {depacketizer.FramesCompleted} received whole");
            var (channel, payload) = await healthy.NextInterleavedAsync();
            if (channel == 0 && RtpPacket.TryParse(payload, out var packet) == RtpPacketError.None)
            {
                depacketizer.Push(packet.Header.Timestamp, packet.Header.Marker, packet.PayloadOf(payload), out _);
            }
        }

        Assert.Equal(0, depacketizer.FramesDropped);
    }

    [Fact]
    public async Task Across_an_origin_restart_the_session_keeps_its_ssrc_and_continuous_numbering()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, [], "Origin:RetryMaxDelay=00:00:00.500");
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);
        var (session, ssrc) = await PlayTcpAsync(host, client);
        var rtp = new List<byte[]>();
        await CollectFramesAsync(client, rtp, 5);

        await host.StopOriginAsync();
        await Eventually.HoldsAsync(() => host.Log.Lines.Any(l => l.Contains("Origin stream movie.Mjpeg lost", StringComparison.Ordinal)), "the edge notices the origin is gone");
        var beforeRestart = await CollectFramesAsync(client, rtp, 0);
        await host.RestartOriginAsync();
        await CollectFramesAsync(client, rtp, beforeRestart + 10);

        var packets = rtp.Select(payload =>
        {
            Assert.Equal(RtpPacketError.None, RtpPacket.TryParse(payload, out var p));
            return p.Header;
        }).ToList();
        Assert.All(packets, p => Assert.Equal(ssrc, p.Ssrc));
        for (var i = 1; i < packets.Count; i++)
        {
            Assert.Equal(1, RtpSequence.Delta(packets[i - 1].SequenceNumber, packets[i].SequenceNumber));
            Assert.True((int)(packets[i].Timestamp - packets[i - 1].Timestamp) >= 0, "RTP time went backwards");
        }

        Assert.Equal(200, (await client.RequestAsync("GET_PARAMETER", host.Url(), ("Session", session))).StatusCode);
    }

    /// <summary>
    /// Reads the session's RTP (into <paramref name="rtp"/>) as it comes until at least <paramref name="frames"/>
    /// frames have arrived in all; returns how many have.
    /// </summary>
    private static async Task<int> CollectFramesAsync(RtspTestClient client, List<byte[]> rtp, int frames)
    {
        static bool EndsFrame(byte[] payload) => RtpPacket.TryParse(payload, out var p) == RtpPacketError.None && p.Header.Marker;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (rtp.Count(EndsFrame) < frames)
        {
            Assert.False(deadline.IsCancellationRequested, $"only {rtp.Count(EndsFrame)} of {frames} frames arrived");
            var (channel, payload) = await client.NextInterleavedAsync(TimeSpan.FromSeconds(30));
            if (channel == 0)
            {
                rtp.Add(payload);
            }
        }

        return rtp.Count(EndsFrame);
    }

    private static async Task<(string Session, uint Ssrc)> PlayTcpAsync(EdgeTestHost host, RtspTestClient client)
    {
        var setup = await client.RequestAsync("SETUP", host.Url() + "/track1", ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"));
        var session = SessionHeader.Parse(setup.GetHeader("Session")!).Id;
        var ssrc = Assert.Single(TransportHeader.Parse(setup.GetHeader("Transport")!)).Ssrc!.Value;
        Assert.Equal(200, (await client.RequestAsync("PLAY", host.Url(), ("Session", session))).StatusCode);
        return (session, ssrc);
    }

    /// <summary>Reads the session's packets as they come until an RTCP packet of <paramref name="type"/> with sender info arrives.</summary>
    private static async Task<(uint Ssrc, SenderInfo Info)> WaitForRtcpAsync(RtspTestClient client, RtcpPacketType type)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            Assert.False(deadline.IsCancellationRequested, $"no RTCP {type} arrived");
            var (channel, payload) = await client.NextInterleavedAsync(TimeSpan.FromSeconds(30));
            var reader = new RtcpReader(payload);
            while (channel == 1 && reader.TryRead(out var packet))
            {
                if (packet.Type == type && packet.TryGetSenderInfo(out var info))
                {
                    return (packet.Ssrc, info);
                }
            }
        }
    }

    private static bool HasPacket(byte[] compound, RtcpPacketType type)
    {
        var reader = new RtcpReader(compound);
        while (reader.TryRead(out var packet))
        {
            if (packet.Type == type)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A UDP session set up and playing from 127.0.0.1, whose RTCP port the test reads and sends from.</summary>
    private sealed class UdpPlayer : IAsyncDisposable
    {
        private readonly RtspTestClient _rtsp;
        private readonly Socket _rtp;
        private readonly Socket _rtcp;

        private UdpPlayer(RtspTestClient rtsp, Socket rtp, Socket rtcp, string session, uint ssrc)
        {
            (_rtsp, _rtp, _rtcp, Session, Ssrc) = (rtsp, rtp, rtcp, session, ssrc);
        }

        public string Session { get; }

        public uint Ssrc { get; }

        public static async Task<UdpPlayer> StartAsync(EdgeTestHost host)
        {
            var rtsp = await RtspTestClient.ConnectAsync(host.RtspPort);
            var (rtp, rtcp) = UdpPortPair.Bind(IPAddress.Loopback, 0);
            var port = ((IPEndPoint)rtp.LocalEndPoint!).Port;
            var setup = await rtsp.RequestAsync("SETUP", host.Url() + "/track1", ("Transport", $"RTP/AVP;unicast;client_port={port}-{port + 1}"));
            var session = SessionHeader.Parse(setup.GetHeader("Session")!).Id;
            var ssrc = Assert.Single(TransportHeader.Parse(setup.GetHeader("Transport")!)).Ssrc!.Value;
            Assert.Equal(200, (await rtsp.RequestAsync("PLAY", host.Url(), ("Session", session))).StatusCode);
            return new UdpPlayer(rtsp, rtp, rtcp, session, ssrc);
        }

        public async Task SendReceiverReportAsync(EdgeTestHost host, uint about)
        {
            var report = new byte[64];
            var length = RtcpWriter.ReceiverReport(report, 0x4242, [new ReportBlock(about, 0, 0, 100, 0, 0, 0)]);
            await _rtcp.SendToAsync(report.AsMemory(0, length), SocketFlags.None, new IPEndPoint(IPAddress.Loopback, host.Edge.RtpPort() + 1), TestContext.Current.CancellationToken);
        }

        /// <summary>Reads RTCP until a packet of <paramref name="type"/> (a sender report stamped after <paramref name="after"/>).</summary>
        public async Task ReceiveRtcpUntilAsync(RtcpPacketType type, DateTimeOffset? after = null)
        {
            var buffer = new byte[2048];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            while (true)
            {
                var length = await _rtcp.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                var reader = new RtcpReader(buffer.AsSpan(0, length));
                while (reader.TryRead(out var packet))
                {
                    if (packet.Type == type && (after is null || (packet.TryGetSenderInfo(out var info) && info.Ntp.ToDateTime() > after)))
                    {
                        return;
                    }
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _rtsp.DisposeAsync();
            _rtp.Dispose();
            _rtcp.Dispose();
        }
    }
}
