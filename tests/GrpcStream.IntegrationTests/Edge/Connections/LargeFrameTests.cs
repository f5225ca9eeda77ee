using GrpcStream.Rtsp.Client;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Connections;

/// <summary>
/// Frames wider than RFC 2435's 2040 pixels (4096x2160), player by player: the claims of the README's compatibility
/// table. The RTP/JPEG header cannot hold the size, so the SDP carries it (<c>a=x-dimensions</c>): GStreamer and the
/// project's client read it; ffmpeg does not, so it is pointed to HTTP, where the JPEG travels whole, with no limit.
/// </summary>
public sealed class LargeFrameTests : IDisposable
{
    private const string Stream = "uhd.mjpeg";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("grpcstream-uhd-");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task GStreamer_and_the_client_play_4096x2160_over_rtsp_ffmpeg_over_http_and_rtsp_carries_the_size_in_the_sdp_only()
    {
        await using var host = await StartAsync();
        var url = host.Url(Stream);

        // GStreamer over TCP: rtpjpegdepay takes the size from the SDP.
        var gst = _dir.CreateSubdirectory("gst").FullName;
        await GStreamerPlayer.PlayAsync(url, gst, 2, "protocols=tcp");
        Assert.Equal((4096, 2160), Size(await File.ReadAllBytesAsync(Directory.GetFiles(gst, "gst*.jpg").Order(StringComparer.Ordinal).First(), Token)));

        // The project's client, over UDP and TCP.
        foreach (var transport in new[] { RtspTransport.Udp, RtspTransport.Tcp })
        {
            await using var client = new RtspPlayer(url, new RtspPlayerOptions { Transport = transport });
            await client.PlayAsync(Token);
            await foreach (var frame in client.ReadFramesAsync(Token))
            {
                Assert.Equal((4096, 2160), Size(frame.Jpeg));
                break;
            }
        }

        // ffmpeg over HTTP (its multipart demuxer): the JPEG as the origin has it.
        var http = await ExternalTool.RunAsync("ffmpeg", ["-v", "error", "-f", "mpjpeg", "-i", $"{host.HttpAddress}/streams/{Stream}.mjpeg", "-frames:v", "1", "-c:v", "copy", "-f", "mjpeg", "-"], timeout: TimeSpan.FromSeconds(60));
        Assert.Equal((4096, 2160), Size(http));

        // Over RTSP the size is in the SDP only: what a player that ignores a=x-dimensions (ffmpeg) is given is a
        // description with it and RTP/JPEG headers whose width and height are 0 (RFC 2435 has 8 bits for each, in
        // units of 8 pixels: at most 2040). Asserted on the edge's own answers, not on what ffmpeg makes of them.
        await using var raw = await RtspTestClient.ConnectAsync(host.RtspPort);
        var describe = await raw.RequestAsync("DESCRIBE", url, ("Accept", "application/sdp"));
        Assert.Contains("a=x-dimensions:4096,2160", System.Text.Encoding.UTF8.GetString(describe.Body.Span), StringComparison.Ordinal);
        var setup = await raw.RequestAsync("SETUP", url + "/track1", ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"));
        var session = GrpcStream.Rtsp.Headers.SessionHeader.Parse(setup.GetHeader("Session")!).Id;
        Assert.Equal(200, (await raw.RequestAsync("PLAY", url, ("Session", session))).StatusCode);
        var (channel, rtp) = await raw.NextInterleavedAsync();
        while (channel != 0)
        {
            (channel, rtp) = await raw.NextInterleavedAsync();
        }

        Assert.Equal(GrpcStream.Rtsp.Rtp.RtpPacketError.None, GrpcStream.Rtsp.Rtp.RtpPacket.TryParse(rtp, out var packet));
        var jpegHeader = packet.PayloadOf(rtp);
        Assert.Equal((0, 0), (jpegHeader[6], jpegHeader[7])); // width/8 and height/8: 0 for a picture wider than 2040
    }

    /// <summary>The picture size a JPEG's frame header gives; (0, 0) for what is not a whole JPEG.</summary>
    private static (int Width, int Height) Size(byte[] jpeg)
    {
        try
        {
            return JpegParser.TryParse(jpeg, out var info) ? (info.Width, info.Height) : (0, 0);
        }
        catch (JpegFormatException)
        {
            return (0, 0);
        }
    }

    /// <summary>An origin with five 4096x2160 frames at 5 fps, and an edge on it.</summary>
    private async Task<EdgeTestHost> StartAsync()
    {
        var media = _dir.CreateSubdirectory("media").FullName;
        await ExternalTool.RunAsync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=4096x2160:rate=5", "-frames:v", "5", "-pix_fmt", "yuvj420p", "-q:v", "8", "-f", "mjpeg", Path.Combine(media, Stream)]);
        return await EdgeTestHost.StartAsync(true, null, [$"MediaRoot={media}", "FrameRate=5"]);
    }
}
