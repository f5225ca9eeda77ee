using GrpcStream.Rtsp.Client;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Testing;

namespace GrpcStream.Edge.Tests.Connections;

/// <summary>
/// Frames wider than RFC 2435's 2040 pixels (4096x2160), player by player: the claims of the README's compatibility
/// table. The RTP/JPEG header cannot hold the size, so the SDP carries it (<c>a=x-dimensions</c>): GStreamer and the
/// project's client read it, ffmpeg does not. Over HTTP the JPEG travels whole, with no limit.
/// </summary>
public sealed class LargeFrameTests : IDisposable
{
    private const string Stream = "uhd.mjpeg";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("grpcstream-uhd-");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task GStreamer_and_the_client_play_4096x2160_over_rtsp_and_ffmpeg_over_http_but_not_over_rtsp()
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
            await using var client = new RtspClient(url, new RtspClientOptions { Transport = transport });
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

        // ffmpeg over RTSP ignores a=x-dimensions: whatever it makes of the stream, it is not the 4096x2160 picture.
        byte[] rtsp;
        try
        {
            rtsp = await ExternalTool.RunAsync("ffmpeg", ["-v", "error", "-rtsp_transport", "tcp", "-i", url, "-frames:v", "1", "-c:v", "copy", "-f", "mjpeg", "-"], timeout: TimeSpan.FromSeconds(30));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            rtsp = [];
        }

        Assert.NotEqual((4096, 2160), rtsp.Length == 0 ? (0, 0) : Size(rtsp));
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
