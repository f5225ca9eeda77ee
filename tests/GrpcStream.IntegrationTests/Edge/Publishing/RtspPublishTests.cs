using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GrpcStream.Edge.Hosting;
using GrpcStream.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcStream.IntegrationTests.Edge.Publishing;

/// <summary>
/// Publishing over RTSP (ANNOUNCE, SETUP mode=record, RECORD) with real publishers, ffmpeg and GStreamer's
/// rtspclientsink, into an edge that forwards to the origin, and real players on another edge.
/// </summary>
public sealed class RtspPublishTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("grpcstream-record-").FullName;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Three distinct 4:2:0 baseline frames with the standard tables (what ffmpeg's packetizer takes as they are), their files and pixels.</summary>
    private async Task<(byte[][] Jpegs, byte[][] Pixels)> SourceAsync()
    {
        var jpegs = new byte[3][];
        var pixels = new byte[3][];
        for (var i = 0; i < 3; i++)
        {
            jpegs[i] = await TestJpegs.CjpegAsync(TestJpegs.Ppm(160, 120, seed: i * 61));
            pixels[i] = await TestJpegs.DecodeAsync(jpegs[i]);
            await File.WriteAllBytesAsync(Path.Combine(_dir, $"frame{i}.jpg"), jpegs[i], Token);
        }

        await File.WriteAllBytesAsync(Path.Combine(_dir, "clip.mjpeg"), jpegs.SelectMany(j => j).ToArray(), Token);
        return (jpegs, pixels);
    }

    /// <summary>ffmpeg sending the clip, looped at 10 fps, with its frames copied (not encoded again), until it is stopped.</summary>
    private Process FfmpegPublisher(string url, string transport = "tcp") => Start(
        "ffmpeg",
        ["-v", "error", "-re", "-stream_loop", "-1", "-f", "mjpeg", "-framerate", "10", "-i", Path.Combine(_dir, "clip.mjpeg"), "-c", "copy", "-f", "rtsp", "-rtsp_transport", transport, url]);

    private static Process Start(string tool, string[] arguments)
    {
        var start = new ProcessStartInfo(ExternalTool.Require(tool)) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync(Token);
        return process;
    }

    private static async Task StopAsync(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync(CancellationToken.None);
        process.Dispose();
    }

    private static async Task ListedAsync(EdgeTestHost host, string name, AuthenticationHeaderValue? credentials = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };
        http.DefaultRequestHeaders.Authorization = credentials;
        await Eventually.HoldsAsync(
            async () =>
            {
                using var list = JsonDocument.Parse(await http.GetStringAsync("/api/streams", Token));
                return list.RootElement.GetProperty("streams").EnumerateArray().Any(s => s.GetProperty("name").GetString() == name);
            },
            $"{name} is published",
            TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Ffmpeg_publishes_to_one_edge_and_an_ffmpeg_player_on_another_edge_gets_the_source_pixel_for_pixel(string transport)
    {
        var (_, pixels) = await SourceAsync();
        await using var edgeA = await EdgeTestHost.StartAsync();
        await using var edgeB = await EdgeTestHost.StartAsync(false, null, [], $"Origin:Address={edgeA.OriginAddress}");
        var publisher = FfmpegPublisher(edgeA.Url("live/cam1"), transport);
        try
        {
            await ListedAsync(edgeB, "live/cam1");
            var played = await ExternalTool.RunAsync(
                "ffmpeg",
                ["-v", "error", "-rtsp_transport", "tcp", "-i", edgeB.Url("live/cam1"), "-frames:v", "9", "-c", "copy", "-f", "mjpeg", "-"],
                timeout: TimeSpan.FromSeconds(60));

            var indices = await TestJpegs.IdentifyAsync(TestJpegs.SplitSimple(played), pixels);
            Assert.Equal(9, indices.Count);
            Assert.All(indices.Zip(indices.Skip(1)), pair => Assert.Equal((pair.First + 1) % 3, pair.Second));
            Assert.True(edgeA.Metrics.PublishedFrames >= 9);
            Assert.Equal(0, edgeA.Metrics.PublishedPacketsRejected);
        }
        finally
        {
            await StopAsync(publisher);
        }
    }

    [Fact]
    public async Task A_publisher_is_listed_by_the_control_api_and_a_kick_ends_its_publication_so_that_the_name_can_be_published_again()
    {
        await SourceAsync();
        await using var host = await EdgeTestHost.StartAsync();
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(host.Edge.ControlAddress());
        var control = new GrpcStream.Protos.Edge.V1.EdgeControl.EdgeControlClient(channel);
        async Task<GrpcStream.Protos.Edge.V1.Session?> RecordingAsync() =>
            (await control.ListSessionsAsync(new() { Stream = "live/cam1" }, cancellationToken: Token)).Sessions
                .SingleOrDefault(s => s.Kind == "record" && s.State == "recording" && s.FramesReceived >= 3);

        var publisher = FfmpegPublisher(host.Url("live/cam1"));
        var again = (Process?)null;
        try
        {
            await Eventually.HoldsAsync(async () => await RecordingAsync() is not null, "the publisher listed as recording", TimeSpan.FromSeconds(30));
            var listed = (await RecordingAsync())!;
            Assert.Equal(("tcp", "127.0.0.1", 0UL), (listed.Transport, listed.ClientAddress, listed.FramesSent));
            Assert.Equal("record", (await control.GetSessionAsync(new() { Id = listed.Id }, cancellationToken: Token)).Kind);

            await control.KickSessionAsync(new() { Id = listed.Id, Reason = "test" }, cancellationToken: Token);

            // Its connection is closed, which ends the publication: ffmpeg's next write fails and it gives up.
            await publisher.WaitForExitAsync(Token).WaitAsync(TimeSpan.FromSeconds(30), Token);
            Assert.NotEqual(0, publisher.ExitCode);
            Assert.DoesNotContain((await control.ListSessionsAsync(new(), cancellationToken: Token)).Sessions, s => s.Id == listed.Id);
            await Eventually.HoldsAsync(() => host.Metrics.Publishers == 0, "the publication ended");
            Assert.Contains(host.Log.Lines, l => l.Contains($"Session {listed.Id} of", StringComparison.Ordinal) && l.Contains("kicked through the control API: test", StringComparison.Ordinal));

            // The origin let the name go: another publisher takes it (a second publisher of a live name is refused).
            again = FfmpegPublisher(host.Url("live/cam1"));
            await Eventually.HoldsAsync(async () => await RecordingAsync() is { } second && second.Id != listed.Id, "the name published again", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await StopAsync(publisher);
            if (again is not null)
            {
                await StopAsync(again);
            }
        }
    }

    [Fact]
    public async Task The_readme_command_line_publishes_what_ffmpeg_encodes_with_one_quantization_table()
    {
        await using var host = await EdgeTestHost.StartAsync();

        // ffmpeg's own encoder writes one table for all components; its packetizer then sends 64 bytes of tables.
        var publisher = Start(
            "ffmpeg",
            ["-v", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-c:v", "mjpeg", "-huffman", "default", "-pix_fmt", "yuvj420p", "-f", "rtsp", "-rtsp_transport", "tcp", host.Url("live/encoded")]);
        try
        {
            await ListedAsync(host, "live/encoded");
            using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };
            var snapshot = await http.GetByteArrayAsync("/streams/live/encoded.jpg?wait=1", Token);
            var pixels = await TestJpegs.DecodeAsync(snapshot);
            Assert.StartsWith("P6\n320 240\n255\n", Encoding.ASCII.GetString(pixels, 0, 15), StringComparison.Ordinal);
            Assert.Equal(0, host.Metrics.PublishedFramesDropped);
        }
        finally
        {
            await StopAsync(publisher);
        }
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Gstreamers_rtspclientsink_publishes_and_a_browser_snapshot_shows_its_frames(string protocols)
    {
        var (_, pixels) = await SourceAsync();
        await using var host = await EdgeTestHost.StartAsync();
        var publisher = Start(
            "gst-launch-1.0",
            ["-q", "multifilesrc", $"location={Path.Combine(_dir, "frame%d.jpg")}", "index=0", "stop-index=2", "loop=true", "caps=image/jpeg,framerate=10/1",
                "!", "jpegparse", "!", "rtspclientsink", $"location={host.Url("live/gst")}", $"protocols={protocols}"]);
        try
        {
            await ListedAsync(host, "live/gst");
            using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };
            var snapshots = new List<byte[]>();
            for (var i = 0; i < 3; i++)
            {
                snapshots.Add(await http.GetByteArrayAsync("/streams/live/gst.jpg?wait=1", Token));
            }

            Assert.Equal(3, (await TestJpegs.IdentifyAsync(snapshots, pixels)).Count);
        }
        finally
        {
            await StopAsync(publisher);
        }
    }

    [Fact]
    public async Task A_publisher_that_reconnects_within_the_hold_time_continues_the_stream_for_a_playing_client_that_loses_nothing()
    {
        var (_, pixels) = await SourceAsync();
        await using var host = await EdgeTestHost.StartAsync();
        Process? first = FfmpegPublisher(host.Url("live/door"));
        Process? second = null;
        try
        {
            await ListedAsync(host, "live/door");
            await using var player = await HonestPlayer.StartAsync(host.Url("live/door"));
            await player.WaitForMoreFramesAsync(5);

            // The publisher drops (killed mid-stream); once the edge has let it go, it comes back under the same name.
            await StopAsync(first);
            first = null;
            await Eventually.HoldsAsync(() => host.Metrics.Publishers == 0, "the edge has ended the first publication");
            second = FfmpegPublisher(host.Url("live/door"));

            await player.WaitForMoreFramesAsync(10);
            // ffmpeg's SDP gives no frame rate, so the stream's clock runs at 25 fps; its RTP time follows the wall clock.
            player.AssertLostNothing(framesPerSecond: 25);
        }
        finally
        {
            foreach (var publisher in new[] { first, second }.OfType<Process>())
            {
                await StopAsync(publisher);
            }
        }
    }

    [Fact]
    public async Task When_the_origin_of_a_published_stream_is_lost_the_edge_publishes_to_the_next_and_the_player_goes_on()
    {
        await SourceAsync();
        await using var host = await EdgeTestHost.StartWithOriginsAsync(2, [], "Origin:RetryMaxDelay=00:00:00.500");
        var link = host.Edge.Services.GetRequiredService<GrpcStream.Edge.Origin.OriginLink>();
        var publisher = FfmpegPublisher(host.Url("live/moving"));
        try
        {
            await ListedAsync(host, "live/moving");
            await using var player = await HonestPlayer.StartAsync(host.Url("live/moving"));
            await player.WaitForMoreFramesAsync(5);
            Assert.Equal(host.OriginAddressAt(0), link.SourceOf("live/moving"));

            // The origin that has the stream goes away: the edge publishes it to the other, and watches it there.
            await host.StopOriginAsync(0);
            await Eventually.HoldsAsync(() => link.SourceOf("live/moving") == host.OriginAddressAt(1), "the stream watched at the second origin", TimeSpan.FromSeconds(30));
            await player.WaitForMoreFramesAsync(10);

            Assert.False(publisher.HasExited, "the publisher was cut off");
            player.AssertLostNothing(framesPerSecond: 25);
            Assert.Equal(2, host.Metrics.Failovers(host.OriginAddressAt(1))); // the publication and the watch
            Assert.Contains(host.Log.Lines, l => l.Contains("Published stream live/moving: origin", StringComparison.Ordinal));
        }
        finally
        {
            await StopAsync(publisher);
        }
    }

    [Fact]
    public async Task A_second_publisher_of_a_name_is_refused_and_the_first_goes_on()
    {
        await SourceAsync();
        await using var host = await EdgeTestHost.StartAsync();
        var first = FfmpegPublisher(host.Url("live/door"));
        try
        {
            await ListedAsync(host, "live/door");
            var before = host.Metrics.PublishedFrames;

            var second = await ExternalTool.TryRunAsync(
                "ffmpeg",
                ["-v", "error", "-re", "-f", "mjpeg", "-framerate", "10", "-i", Path.Combine(_dir, "clip.mjpeg"), "-c", "copy", "-f", "rtsp", "-rtsp_transport", "tcp", host.Url("live/door")],
                timeout: TimeSpan.FromSeconds(60));

            Assert.True(second.ExitCode != 0, "the second publisher was not refused: " + string.Join("\n", host.Log.Lines.Where(l => l.Contains("ublish", StringComparison.Ordinal))));
            Assert.Contains("403 Forbidden", second.Error, StringComparison.Ordinal);
            Assert.Contains(host.Log.Lines, l => l.Contains("The origin refused the publication of live/door: AlreadyExists", StringComparison.Ordinal));
            Assert.False(first.HasExited);
            await Eventually.HoldsAsync(() => host.Metrics.PublishedFrames > before + 5, "the first publisher's frames keep coming");
        }
        finally
        {
            await StopAsync(first);
        }
    }

    [Fact]
    public async Task A_publisher_that_announces_and_falls_silent_is_let_go_after_the_session_timeout_and_its_name_is_free_again()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, [], "Rtsp:SessionTimeout=00:00:05");
        static string Announce(string url, int cseq)
        {
            const string Sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=held\r\nt=0 0\r\nm=video 0 RTP/AVP 26\r\na=control:streamid=0\r\n";
            return $"ANNOUNCE {url} RTSP/1.0\r\nCSeq: {cseq}\r\nContent-Type: application/sdp\r\nContent-Length: {Sdp.Length}\r\n\r\n{Sdp}";
        }

        await using var silent = await RtspTestClient.ConnectAsync(host.RtspPort);
        await silent.SendAsync(Announce(host.Url("live/held"), 1));
        Assert.Equal(200, (await silent.ReadResponseAsync()).StatusCode);

        // While it holds the name, another publisher is refused; once the edge lets it go, the name is free.
        await using (var early = await RtspTestClient.ConnectAsync(host.RtspPort))
        {
            await early.SendAsync(Announce(host.Url("live/held"), 1));
            Assert.Equal(403, (await early.ReadResponseAsync()).StatusCode);
        }

        Assert.True(await silent.IsClosedByServerAsync(TimeSpan.FromSeconds(30)), "the silent publisher's connection is closed");
        await Eventually.HoldsAsync(
            async () =>
            {
                await using var honest = await RtspTestClient.ConnectAsync(host.RtspPort);
                await honest.SendAsync(Announce(host.Url("live/held"), 1));
                return (await honest.ReadResponseAsync()).StatusCode == 200;
            },
            "another publisher may announce the name",
            TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_udp_publisher_is_read_from_its_own_port_only_and_let_go_once_it_falls_silent()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, [], "Rtsp:SessionTimeout=00:00:05");
        var rtpPort = host.Edge.Services.GetRequiredService<GrpcStream.Edge.Transports.UdpRtpServer>().RtpPort;
        using var publisher = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)publisher.Client.LocalEndPoint!).Port;
        const string Sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=udp\r\nt=0 0\r\nm=video 0 RTP/AVP 26\r\na=control:streamid=0\r\n";
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);
        await client.SendAsync($"ANNOUNCE {host.Url("live/udp")} RTSP/1.0\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: {Sdp.Length}\r\n\r\n{Sdp}");
        Assert.Equal(200, (await client.ReadResponseAsync()).StatusCode);
        await client.SendAsync($"SETUP {host.Url("live/udp")}/streamid=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP;unicast;client_port={port}-{port + 1};mode=record\r\n\r\n");
        var setup = await client.ReadResponseAsync();
        Assert.Equal(200, setup.StatusCode);
        Assert.Contains($"server_port={rtpPort}-{rtpPort + 1}", setup.GetHeader("Transport"), StringComparison.Ordinal);
        var session = setup.GetHeader("Session")!.Split(';')[0];
        await client.SendAsync($"RECORD {host.Url("live/udp")} RTSP/1.0\r\nCSeq: 3\r\nSession: {session}\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).StatusCode);

        // A stranger's datagrams to the RTP port are not read; the publisher's are (an RTP packet that is not JPEG is
        // counted as rejected). The edge reads its RTP port in order, so the stranger's came first.
        using (var stranger = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            for (var i = 0; i < 20; i++)
            {
                await stranger.SendAsync(new byte[] { 0x80, 26, 0, (byte)i, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 }, new IPEndPoint(IPAddress.Loopback, rtpPort), Token);
            }
        }

        await publisher.SendAsync(new byte[] { 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF }, new IPEndPoint(IPAddress.Loopback, rtpPort), Token);
        await Eventually.HoldsAsync(() => host.Metrics.PublishedPacketsRejected > 0, "the publisher's datagram read");
        Assert.Equal(1, host.Metrics.PublishedPacketsRejected);

        // Silent over UDP, with its RTSP connection idle: let go after the session timeout.
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(30)), "the silent publisher's connection is closed");
        await Eventually.HoldsAsync(() => host.Metrics.Publishers == 0, "the publication ended");
    }

    [Fact]
    public async Task Publishing_requests_out_of_place_get_a_clear_status()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);
        const string Sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 26\r\na=control:streamid=0\r\n";
        async Task<int> SendAsync(string request)
        {
            await client.SendAsync(request);
            return (await client.ReadResponseAsync()).StatusCode;
        }

        string Announce(string path, int cseq, string type = "application/sdp", string body = Sdp) =>
            $"ANNOUNCE {host.Url(path)} RTSP/1.0\r\nCSeq: {cseq}\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\n\r\n{body}";

        Assert.Equal(400, await SendAsync(Announce("flat", 1)));                        // not a path-like name
        Assert.Equal(415, await SendAsync(Announce("live/x", 2, "text/plain")));        // not an SDP
        Assert.Equal(415, await SendAsync(Announce("live/x", 3, body: "v=0\r\nm=audio 0 RTP/AVP 0\r\n"))); // no JPEG track
        Assert.Equal(400, await SendAsync(Announce("other/x", 4)));                     // outside the origin's prefix
        Assert.Equal(200, await SendAsync(Announce("live/x", 5)));
        Assert.Equal(455, await SendAsync(Announce("live/y", 6)));                      // one publication per connection
        Assert.Equal(455, await SendAsync($"RECORD {host.Url("live/x")} RTSP/1.0\r\nCSeq: 7\r\n\r\n")); // before SETUP
        Assert.Equal(461, await SendAsync($"SETUP {host.Url("live/x")}/streamid=0 RTSP/1.0\r\nCSeq: 8\r\nTransport: RTP/AVP;unicast;mode=record\r\n\r\n")); // UDP without ports
        Assert.Equal(200, await SendAsync($"SETUP {host.Url("live/x")}/streamid=0 RTSP/1.0\r\nCSeq: 9\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n\r\n"));
    }

    [Fact]
    public async Task A_dynamic_payload_type_mapped_to_jpeg_is_taken_and_other_packets_are_rejected()
    {
        var (jpegs, pixels) = await SourceAsync();
        await using var host = await EdgeTestHost.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);
        const string Sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 JPEG/90000\r\na=control:streamid=0\r\n";
        async Task<int> SendAsync(string request)
        {
            await client.SendAsync(request);
            return (await client.ReadResponseAsync()).StatusCode;
        }

        var url = host.Url("live/dynamic");
        Assert.Equal(200, await SendAsync($"ANNOUNCE {url} RTSP/1.0\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: {Sdp.Length}\r\n\r\n{Sdp}"));
        Assert.Equal(200, await SendAsync($"SETUP {url}/streamid=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n\r\n"));
        await client.SendAsync($"RECORD {url} RTSP/1.0\r\nCSeq: 3\r\n\r\n");
        var record = await client.ReadResponseAsync();
        Assert.Equal(200, record.StatusCode);

        // Each frame as RTP with payload type 96 on channel 0, and the same packets as type 26, which the SDP did not announce.
        var packetizer = new GrpcStream.Rtsp.Jpeg.RtpJpegPacketizer();
        var packets = new GrpcStream.Rtsp.Jpeg.PacketizedFrame();
        ushort sequence = 0;
        var unannounced = 0;
        foreach (var (jpeg, index) in jpegs.Select((j, i) => (j, i)))
        {
            Assert.True(GrpcStream.Rtsp.Jpeg.JpegParser.TryParse(jpeg, out var info));
            packetizer.Packetize(jpeg, info, packets);
            unannounced += packets.PacketCount;
            foreach (var payloadType in new byte[] { 26, 96 })
            {
                for (var p = 0; p < packets.PacketCount; p++)
                {
                    var packet = packets.GetPacketWithHeaderRoom(p, 16).ToArray();
                    packet[0] = (byte)'$';
                    packet[1] = 0;
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(packet.Length - 4));
                    new GrpcStream.Rtsp.Rtp.RtpHeader(packets.IsLast(p), payloadType, sequence++, (uint)(index * 9000), 0x1234).Write(packet.AsSpan(4));
                    await client.SendAsync(packet);
                }
            }
        }

        await Eventually.HoldsAsync(() => host.Metrics.PublishedFrames == 3, "three frames are forwarded");
        await ListedAsync(host, "live/dynamic");
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };
        Assert.Equal([2], await TestJpegs.IdentifyAsync([await http.GetByteArrayAsync("/streams/live/dynamic.jpg", Token)], pixels));
        Assert.Equal(unannounced, host.Metrics.PublishedPacketsRejected);
    }

    [Fact]
    public async Task Publishing_needs_the_publish_permission_where_users_are_configured()
    {
        await SourceAsync();
        await using var host = await EdgeTestHost.StartAsync(
            true, null, [],
            "Auth:Methods:0=digest", "Auth:Methods:1=basic",
            "Auth:Users:0:Name=viewer", "Auth:Users:0:Password=look",
            "Auth:Users:1:Name=camera", "Auth:Users:1:Password=shoot", "Auth:Users:1:Permissions:0=read", "Auth:Users:1:Permissions:1=publish");
        string Url(string user, string password) => $"rtsp://{user}:{password}@127.0.0.1:{host.RtspPort}/live/secured";

        var viewer = await ExternalTool.TryRunAsync(
            "ffmpeg",
            ["-v", "error", "-f", "mjpeg", "-framerate", "10", "-i", Path.Combine(_dir, "clip.mjpeg"), "-c", "copy", "-f", "rtsp", "-rtsp_transport", "tcp", Url("viewer", "look")],
            timeout: TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, viewer.ExitCode);
        Assert.Contains("403 Forbidden", viewer.Error, StringComparison.Ordinal);
        Assert.Equal(1, host.Metrics.AuthFailures(403));

        var camera = FfmpegPublisher(Url("camera", "shoot"));
        try
        {
            await ListedAsync(host, "live/secured", new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("camera:shoot"))));
        }
        finally
        {
            await StopAsync(camera);
        }
    }
}
