using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using GrpcStream.Edge.Hosting;
using GrpcStream.Edge.Transports;
using GrpcStream.Edge.Native;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Rtp;
using GrpcStream.Rtsp.Sdp;
using GrpcStream.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcStream.IntegrationTests.Edge.Rtsp;

/// <summary>The RTSP methods and state machine, driven byte by byte over a real socket.</summary>
public class RtspMethodTests
{
    [Fact]
    public async Task Options_lists_the_methods_including_get_parameter_and_publishing()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);

        var response = await client.RequestAsync("OPTIONS", host.Url());

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, PAUSE, RECORD, TEARDOWN, GET_PARAMETER, SET_PARAMETER", response.GetHeader("Public"));
    }

    [Fact]
    public async Task Describe_returns_jpeg_sdp_with_a_content_base_ending_in_a_slash()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);

        var response = await client.RequestAsync("DESCRIBE", host.Url(), ("Accept", "application/sdp"));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("application/sdp", response.GetHeader("Content-Type"));
        Assert.Equal(host.Url() + "/", response.GetHeader("Content-Base"));
        var sdp = SessionDescription.Parse(Encoding.UTF8.GetString(response.Body.Span));
        var video = Assert.Single(sdp.Media);
        Assert.Equal(("JPEG", 90_000), video.RtpMap(26));
        Assert.Equal(25, video.FrameRate);
        Assert.Equal(host.Url() + "/track1", RtspUrl.ResolveControl(response.GetHeader("Content-Base")!, video.Control!));
    }

    [Fact]
    public async Task Unknown_stream_is_404()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);

        Assert.Equal(404, (await client.RequestAsync("DESCRIBE", host.Url("nothing.mjpeg"))).StatusCode);
        Assert.Equal(404, (await client.RequestAsync("DESCRIBE", host.Url("a/b/c"))).StatusCode);
        Assert.Equal(404, (await client.RequestAsync("SETUP", host.Url("nothing.mjpeg") + "/track1", ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))).StatusCode);
    }

    [Fact]
    public async Task An_unreachable_origin_is_503_with_retry_after()
    {
        await using var host = await EdgeTestHost.StartAsync(withOrigin: false);
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);

        var response = await client.RequestAsync("DESCRIBE", host.Url());

        Assert.Equal(503, response.StatusCode);
        Assert.Equal("5", response.GetHeader("Retry-After"));
    }

    [Fact]
    public async Task Tcp_session_plays_pauses_and_tears_down()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);

        var setup = await client.RequestAsync("SETUP", host.Url() + "/track1", ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"));
        Assert.Equal(200, setup.StatusCode);
        var session = SessionHeader.Parse(setup.GetHeader("Session")!);
        Assert.Equal(60, session.TimeoutSeconds);
        var transport = Assert.Single(TransportHeader.Parse(setup.GetHeader("Transport")!));
        Assert.Equal(new NumberRange(0, 1), transport.Interleaved);
        Assert.NotNull(transport.Ssrc);

        var pauseTooEarly = await client.RequestAsync("PAUSE", host.Url(), ("Session", session.Id));
        Assert.Equal(455, pauseTooEarly.StatusCode);
        Assert.DoesNotContain("PAUSE", pauseTooEarly.GetHeader("Allow")!.Split(", "));

        var play = await client.RequestAsync("PLAY", host.Url(), ("Session", session.Id), ("Range", "npt=0-"));
        Assert.Equal(200, play.StatusCode);
        var info = Assert.Single(RtpInfoHeader.Parse(play.GetHeader("RTP-Info")!));
        Assert.Equal(host.Url() + "/track1", info.Url);

        // The first frame comes at once (the latest one held), RTP on channel 0 with the announced numbering.
        var keepAlive = await client.RequestAsync("GET_PARAMETER", host.Url(), ("Session", session.Id));
        Assert.Equal(200, keepAlive.StatusCode);
        var rtp = client.Interleaved.Where(f => f.Channel == 0).Select(f => f.Payload).ToList();
        Assert.NotEmpty(rtp);
        Assert.Equal(RtpPacketError.None, RtpPacket.TryParse(rtp[0], out var first));
        Assert.Equal(transport.Ssrc, first.Header.Ssrc);
        Assert.Equal(info.Sequence, first.Header.SequenceNumber);
        Assert.Equal(info.RtpTime, first.Header.Timestamp);
        Assert.Equal(26, first.Header.PayloadType);

        // Three whole frames, read as they come (each read waits on the socket, with a deadline).
        var depacketizer = new RtpJpegDepacketizer();
        var frames = 0;
        while (frames < 3)
        {
            var (channel, payload) = await client.NextInterleavedAsync();
            if (channel != 0)
            {
                continue; // a sender report
            }

            RtpPacket.TryParse(payload, out var packet);
            frames += depacketizer.Push(packet.Header.Timestamp, packet.Header.Marker, packet.PayloadOf(payload), out _) ? 1 : 0;
        }

        Assert.Equal(0, depacketizer.FramesDropped);
        Assert.Equal(200, (await client.RequestAsync("PAUSE", host.Url(), ("Session", session.Id))).StatusCode);
        Assert.Equal(200, (await client.RequestAsync("TEARDOWN", host.Url(), ("Session", session.Id))).StatusCode);
        Assert.Equal(454, (await client.RequestAsync("PLAY", host.Url(), ("Session", session.Id))).StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Udp_session_receives_rfc_2435_packets_on_its_port(bool segmentation)
    {
        await using var host = await EdgeTestHost.StartAsync(true, $"Rtsp:UdpSegmentation={segmentation}");
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);
        using var rtp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)rtp.Client.LocalEndPoint!).Port;

        var setup = await client.RequestAsync("SETUP", host.Url() + "/track1", ("Transport", $"RTP/AVP;unicast;client_port={port}-{port + 1}"));
        var transport = Assert.Single(TransportHeader.Parse(setup.GetHeader("Transport")!));
        Assert.Equal(new NumberRange(port, port + 1), transport.ClientPorts);
        Assert.Equal(new NumberRange(host.Edge.RtpPort(), host.Edge.RtpPort() + 1), transport.ServerPorts);
        var session = SessionHeader.Parse(setup.GetHeader("Session")!).Id;
        Assert.Equal(200, (await client.RequestAsync("PLAY", host.Url(), ("Session", session))).StatusCode);

        var depacketizer = new RtpJpegDepacketizer();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        ReadOnlyMemory<byte> jpeg = default;
        ushort? expected = null;
        while (depacketizer.FramesCompleted < 3)
        {
            var datagram = await rtp.ReceiveAsync(timeout.Token);
            Assert.Equal(host.Edge.RtpPort(), datagram.RemoteEndPoint.Port);
            Assert.Equal(RtpPacketError.None, RtpPacket.TryParse(datagram.Buffer, out var packet));
            Assert.Equal(transport.Ssrc, packet.Header.Ssrc);
            Assert.Equal(expected ?? packet.Header.SequenceNumber, packet.Header.SequenceNumber);
            expected = (ushort)(packet.Header.SequenceNumber + 1);
            if (depacketizer.Push(packet.Header.Timestamp, packet.Header.Marker, packet.PayloadOf(datagram.Buffer), out var frame))
            {
                jpeg = frame.ToArray();
            }
        }

        Assert.True(JpegParser.TryParse(jpeg.Span, out var info));
        Assert.Equal((320, 240), ((int)info.Width, (int)info.Height));
        Assert.Equal(0, depacketizer.FramesDropped);

        // On Linux the frames went out segmented, and the kernel never turned it down.
        Assert.Equal(segmentation && UdpSegmentation.IsAvailable, host.Edge.Services.GetRequiredService<UdpRtpServer>().Segmentation);
    }

    [Fact]
    public async Task Another_clients_session_id_is_454()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var owner = await RtspTestClient.ConnectAsync(host.RtspPort);
        await using var intruder = await RtspTestClient.ConnectAsync(host.RtspPort);
        var setup = await owner.RequestAsync("SETUP", host.Url() + "/track1", ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"));
        var session = SessionHeader.Parse(setup.GetHeader("Session")!).Id;

        Assert.Equal(454, (await intruder.RequestAsync("PLAY", host.Url(), ("Session", session))).StatusCode);
        Assert.Equal(454, (await intruder.RequestAsync("TEARDOWN", host.Url(), ("Session", session))).StatusCode);
        Assert.Equal(454, (await intruder.RequestAsync("PLAY", host.Url(), ("Session", "1234567890123456"))).StatusCode);
        Assert.Equal(454, (await intruder.RequestAsync("PLAY", host.Url())).StatusCode);
        Assert.Equal(200, (await owner.RequestAsync("PLAY", host.Url(), ("Session", session))).StatusCode);
    }

    [Theory]
    [InlineData("RTP/AVP;unicast;client_port=70000-70001")]
    [InlineData("RTP/AVP;unicast;client_port=5001-5000")]
    [InlineData("RTP/AVP;unicast;client_port=abc")]
    [InlineData("RTP/AVP;unicast;client_port=0-1")]
    [InlineData("RTP/AVP;multicast;destination=232.0.0.1")]
    [InlineData("RTP/SAVP;unicast;client_port=5000-5001")]
    [InlineData("RTP/UDP; client_port= 25000")]
    public async Task Unusable_transports_are_461(string transport)
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);

        var response = await client.RequestAsync("SETUP", host.Url() + "/track1", ("Transport", transport));

        Assert.Equal(461, response.StatusCode);
    }

    [Fact]
    public async Task The_first_usable_alternative_is_taken()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);

        var response = await client.RequestAsync("SETUP", host.Url() + "/track1", ("Transport", "RTP/AVP;multicast, RTP/AVP/TCP;unicast;interleaved=4-5, RTP/AVP;unicast;client_port=5000-5001"));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(new NumberRange(4, 5), Assert.Single(TransportHeader.Parse(response.GetHeader("Transport")!)).Interleaved);
    }

    [Fact]
    public async Task The_lab_client_dialect_is_answered_in_kind_and_gets_whole_jpeg_frames()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);
        using var rtp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)rtp.Client.LocalEndPoint!).Port;

        // Exactly what the classic lab client sends: bare name, LF, no blank line, RTP/UDP, one port.
        await client.SendAsync($"SETUP movie.Mjpeg RTSP/1.0\nCSeq: 1\nTransport: RTP/UDP; client_port= {port}");
        var setup = Encoding.ASCII.GetString(await client.ReadRawAsync(TimeSpan.FromSeconds(2)));
        var match = Regex.Match(setup, "^RTSP/1.0 200 OK\nCSeq: 1\nSession: ([0-9]{16})$");
        Assert.True(match.Success, setup);
        var session = match.Groups[1].Value;

        await client.SendAsync($"PLAY movie.Mjpeg RTSP/1.0\nCSeq: 2\nSession: {session}");
        Assert.Equal($"RTSP/1.0 200 OK\nCSeq: 2\nSession: {session}", Encoding.ASCII.GetString(await client.ReadRawAsync(TimeSpan.FromSeconds(1))));

        // Each datagram: a 12-byte RTP header, then one whole JPEG image.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 3; i++)
        {
            var datagram = await rtp.ReceiveAsync(timeout.Token);
            Assert.Equal(RtpPacketError.None, RtpPacket.TryParse(datagram.Buffer, out var packet));
            var jpeg = packet.PayloadOf(datagram.Buffer);
            Assert.True(JpegParser.TryParse(jpeg, out var info));
            Assert.Equal(jpeg.Length, info.Length);
        }

        await client.SendAsync($"PAUSE movie.Mjpeg RTSP/1.0\nCSeq: 3\nSession: {session}");
        Assert.Equal($"RTSP/1.0 200 OK\nCSeq: 3\nSession: {session}", Encoding.ASCII.GetString(await client.ReadRawAsync(TimeSpan.FromSeconds(1))));
        await client.SendAsync($"TEARDOWN movie.Mjpeg RTSP/1.0\nCSeq: 4\nSession: {session}");
        Assert.Equal($"RTSP/1.0 200 OK\nCSeq: 4\nSession: {session}", Encoding.ASCII.GetString(await client.ReadRawAsync(TimeSpan.FromSeconds(1))));
    }
}
