using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GrpcStream.IntegrationTests.Edge.Http;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Rtp;
using GrpcStream.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcStream.IntegrationTests.Edge.Publishing;

/// <summary>
/// Publishers that lie: fragments that do not cover their frame, and a second session that claims another
/// publisher's UDP ports. Honest publishers and viewers alongside lose nothing.
/// </summary>
public sealed class HostilePublisherTests : IDisposable
{
    private const string Sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 26\r\na=framerate:10\r\na=control:streamid=0\r\n";
    private readonly string _dir = Directory.CreateTempSubdirectory("grpcstream-hostile-publisher-").FullName;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_frame_whose_fragments_leave_a_hole_never_reaches_a_viewer_and_the_honest_frames_all_do()
    {
        var (jpegs, pixels) = await PicturesAsync(320, 240, seed: 17);

        await using var host = await EdgeTestHost.StartAsync();
        await using var publisher = await RtspTestClient.ConnectAsync(host.RtspPort);
        await RecordOverTcpAsync(publisher, host.Url("live/splice"));

        var sender = new InterleavedSender(publisher);
        await sender.SendFrameAsync(jpegs[0], spliced: false);
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress), Timeout = Timeout.InfiniteTimeSpan };
        await Eventually.HoldsAsync(() => host.Metrics.PublishedFrames == 1, "the first frame is forwarded");
        using var response = await http.GetAsync("/streams/live/splice.mjpeg", HttpCompletionOption.ResponseHeadersRead, Token);
        response.EnsureSuccessStatusCode();
        using var parts = new MjpegParts(await response.Content.ReadAsStreamAsync(Token), GrpcStream.Edge.Http.MjpegTransport.Boundary);
        Assert.Equal([0], await TestJpegs.IdentifyAsync([(await NextPartAsync(parts)).Body], pixels));

        // Each round: a frame whose packet 2 is missing and whose count is made up by a fragment past its end (bytes
        // of the last frame would fill the hole), then an honest frame, which must be what the viewer gets next.
        const int Rounds = 6;
        for (var round = 1; round <= Rounds; round++)
        {
            await sender.SendFrameAsync(jpegs[(round + 1) % 3], spliced: true);
            await sender.SendFrameAsync(jpegs[round % 3], spliced: false);
            Assert.Equal([round % 3], await TestJpegs.IdentifyAsync([(await NextPartAsync(parts)).Body], pixels));
        }

        Assert.Equal(Rounds + 1, host.Metrics.PublishedFrames);
        Assert.Equal(Rounds, host.Metrics.PublishedFramesDroppedFor("out_of_range"));
    }

    [Fact]
    public async Task A_second_publishing_session_cannot_take_a_publishers_udp_ports_and_spoofed_datagrams_are_not_read()
    {
        var (jpegs, pixels) = await PicturesAsync(160, 120, seed: 5);

        var clip = Path.Combine(_dir, "clip.mjpeg");
        await File.WriteAllBytesAsync(clip, jpegs.SelectMany(j => j).ToArray(), Token);

        // Frames wait for the in-process origin in a queue of 64 (6 s at 10 fps) rather than 8: on a machine loaded by
        // the rest of the suite the origin may stall for most of a second, and a frame dropped from a full queue
        // would say nothing about the attack, while this test asserts that nothing at all is lost.
        await using var host = await EdgeTestHost.StartAsync(true, "Publish:MaxQueuedFrames=64");
        var rtpPort = host.Edge.Services.GetRequiredService<GrpcStream.Edge.Transports.UdpRtpServer>().RtpPort;

        // Two honest publishers over UDP, the victim on client ports the test knows.
        var victimPort = FreePorts.UdpPair();
        using var victim = FfmpegPublisher(clip, host.Url("live/victim"), victimPort);
        using var other = FfmpegPublisher(clip, host.Url("live/other"), FreePorts.UdpPair());
        await Eventually.HoldsAsync(() => host.Metrics.Publishers == 2 && host.Metrics.PublishedFrames >= 6, "both publishers are recording", TimeSpan.FromSeconds(30));

        // The attacker, from the same address: ANNOUNCE is fine, SETUP on the victim's ports is not.
        await using (var attacker = await RtspTestClient.ConnectAsync(host.RtspPort))
        {
            var url = host.Url("live/attacker");
            await attacker.SendAsync($"ANNOUNCE {url} RTSP/1.0\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: {Sdp.Length}\r\n\r\n{Sdp}");
            Assert.Equal(200, (await attacker.ReadResponseAsync()).StatusCode);
            await attacker.SendAsync($"SETUP {url}/streamid=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP;unicast;client_port={victimPort}-{victimPort + 1};mode=record\r\n\r\n");
            Assert.Equal(461, (await attacker.ReadResponseAsync()).StatusCode);
            Assert.Equal(1, host.Metrics.LimitHits("publisher_ports"));
        }

        // A spoofer sends RTP/JPEG of another picture to the edge's RTP port from another port of the address and
        // from another address: none of it is read (not even rejected).
        var rejected = host.Metrics.PublishedPacketsRejected;
        var spoofed = new PacketizedFrame();
        var spoofJpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(160, 120, seed: 999));
        Assert.True(JpegParser.TryParse(spoofJpeg, out var spoofInfo));
        new RtpJpegPacketizer().Packetize(spoofJpeg, spoofInfo, spoofed);
        foreach (var from in new[] { "127.0.0.1", "127.0.0.2" })
        {
            using var spoofer = new UdpClient(new IPEndPoint(IPAddress.Parse(from), 0));
            for (var frame = 0; frame < 20; frame++)
            {
                for (var p = 0; p < spoofed.PacketCount; p++)
                {
                    var packet = spoofed.GetPacketWithHeaderRoom(p, RtpHeader.Size).ToArray();
                    new RtpHeader(spoofed.IsLast(p), 26, (ushort)((frame * 100) + p), (uint)(frame * 9000), 0x5f5f5f5f).Write(packet);
                    await spoofer.SendAsync(packet, new IPEndPoint(IPAddress.Loopback, rtpPort), Token);
                }
            }
        }

        // The victim plays on: what a player gets through the edge is its pictures, in order, and its session is whole.
        var played = await ExternalTool.RunAsync(
            "ffmpeg",
            ["-v", "error", "-rtsp_transport", "tcp", "-i", host.Url("live/victim"), "-frames:v", "9", "-c", "copy", "-f", "mjpeg", "-"],
            timeout: TimeSpan.FromSeconds(60));
        var indices = await TestJpegs.IdentifyAsync(TestJpegs.SplitSimple(played), pixels);
        Assert.Equal(9, indices.Count);
        Assert.All(indices.Zip(indices.Skip(1)), pair => Assert.Equal((pair.First + 1) % 3, pair.Second));
        Assert.Equal(rejected, host.Metrics.PublishedPacketsRejected);
        Assert.False(victim.HasExited, "the victim's publisher is still publishing");
        Assert.Equal(2, host.Metrics.Publishers);
        Assert.True(host.Metrics.PublishedFramesDropped == 0, $"frames dropped: {host.Metrics.PublishedFramesDropped} ({string.Join(", ", new[] { "incomplete", "duplicate", "overlap", "out_of_range", "too_large", "bad_payload", "queue_full" }.Select(r => $"{r} {host.Metrics.PublishedFramesDroppedFor(r)}"))})");
    }

    /// <summary>Three distinct baseline frames and their pixels, as djpeg decodes them.</summary>
    private static async Task<(byte[][] Jpegs, byte[][] Pixels)> PicturesAsync(int width, int height, int seed)
    {
        var jpegs = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => TestJpegs.CjpegAsync(TestJpegs.Ppm(width, height, seed: seed + (i * 31)))));
        return (jpegs, await Task.WhenAll(jpegs.Select(TestJpegs.DecodeAsync)));
    }

    private static async Task<MjpegPart> NextPartAsync(MjpegParts parts)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(20));
        return await parts.NextAsync(deadline.Token);
    }

    private static async Task RecordOverTcpAsync(RtspTestClient client, string url)
    {
        await client.SendAsync($"ANNOUNCE {url} RTSP/1.0\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: {Sdp.Length}\r\n\r\n{Sdp}");
        Assert.Equal(200, (await client.ReadResponseAsync()).StatusCode);
        await client.SendAsync($"SETUP {url}/streamid=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).StatusCode);
        await client.SendAsync($"RECORD {url} RTSP/1.0\r\nCSeq: 3\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).StatusCode);
    }

    /// <summary>ffmpeg publishing the clip over UDP, looped at 10 fps, from client ports <paramref name="port"/> and the next.</summary>
    private static PublisherProcess FfmpegPublisher(string clip, string url, int port)
    {
        var start = new ProcessStartInfo(ExternalTool.Require("ffmpeg")) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[]
        {
            "-v", "error", "-re", "-stream_loop", "-1", "-f", "mjpeg", "-framerate", "10", "-i", clip, "-c", "copy",
            "-f", "rtsp", "-rtsp_transport", "udp", "-min_port", $"{port}", "-max_port", $"{port + 1}", url,
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
        return new PublisherProcess(process);
    }

    /// <summary>A publisher process, killed when the test is done with it.</summary>
    private sealed class PublisherProcess(Process process) : IDisposable
    {
        public bool HasExited => process.HasExited;

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit();
            process.Dispose();
        }
    }

    /// <summary>RTP/JPEG on interleaved channel 0, one timestamp per frame.</summary>
    private sealed class InterleavedSender(RtspTestClient client)
    {
        private readonly RtpJpegPacketizer _packetizer = new(500);
        private readonly PacketizedFrame _packets = new();
        private ushort _sequence;
        private uint _timestamp;

        /// <param name="spliced">
        /// Leave packet 2 out and send a copy of it with its fragment offset moved past the frame's end: the byte
        /// count is right, the cover is not.
        /// </param>
        public async Task SendFrameAsync(byte[] jpeg, bool spliced)
        {
            Assert.True(JpegParser.TryParse(jpeg, out var info));
            _packetizer.Packetize(jpeg, info, _packets);
            Assert.True(_packets.PacketCount > 3);
            var frameEnd = 0;
            for (var p = 0; p < _packets.PacketCount; p++)
            {
                if (!spliced || p != 2)
                {
                    await SendAsync(p, offset: null);
                }

                var payload = _packets.GetPayload(p).Span;
                frameEnd = Math.Max(frameEnd, (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0xFFFFFF) + payload.Length - RtpJpegHeader.Size);
            }

            if (spliced)
            {
                await SendAsync(2, offset: frameEnd);
            }

            _timestamp += 9000;
        }

        private async Task SendAsync(int index, int? offset)
        {
            var packet = _packets.GetPacketWithHeaderRoom(index, 4 + RtpHeader.Size).ToArray();
            packet[0] = (byte)'$';
            packet[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(packet.Length - 4));
            new RtpHeader(_packets.IsLast(index) && offset is null, 26, _sequence++, _timestamp, 0x1234).Write(packet.AsSpan(4));
            if (offset is { } moved)
            {
                // The 24-bit fragment offset after the type-specific byte of the RFC 2435 header.
                var at = 4 + RtpHeader.Size + 1;
                packet[at] = (byte)(moved >> 16);
                packet[at + 1] = (byte)(moved >> 8);
                packet[at + 2] = (byte)moved;
            }

            await client.SendAsync(packet);
        }
    }
}
