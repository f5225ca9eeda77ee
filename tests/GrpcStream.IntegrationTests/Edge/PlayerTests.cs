using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge;

/// <summary>Real players (ffmpeg, GStreamer) against a real origin and edge.</summary>
public sealed class PlayerTests(StreamingSystem system) : IClassFixture<StreamingSystem>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("grpcstream-player-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public async Task Ffmpeg_receives_the_source_frames_losslessly(string transport)
    {
        var frames = await FfmpegAsync(system.Url(), transport, 25);

        Assert.Equal(25, frames.Count);
        foreach (var frame in frames)
        {
            Assert.True(system.IsSourceFrame("movie.Mjpeg", await TestJpegs.DecodeAsync(frame)), "a received frame differs from every source frame");
        }
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public async Task GStreamer_rtspsrc_plays(string transport)
    {
        await GStreamerPlayer.PlayAsync(system.Url(), _dir, 20, $"protocols={transport}");

        var files = Directory.GetFiles(_dir, "gst*.jpg");
        Assert.True(files.Length >= 19, $"GStreamer wrote {files.Length} frames");
        foreach (var file in files)
        {
            Assert.True(system.IsSourceFrame("movie.Mjpeg", await TestJpegs.DecodeAsync(await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken))));
        }
    }

    [Fact]
    public async Task Several_players_on_one_stream_and_on_two_streams_at_once()
    {
        var players = new[]
        {
            FfmpegAsync(system.Url(), "udp", 30, "a"),
            FfmpegAsync(system.Url(), "tcp", 30, "b"),
            FfmpegAsync(system.Url(), "udp", 30, "c"),
            FfmpegAsync(system.Url("second.mjpeg"), "udp", 30, "d"),
            FfmpegAsync(system.Url("second.mjpeg"), "tcp", 30, "e"),
        };

        // However many sessions watch a stream, the edge holds one subscription to it at the origin.
        using var http = new HttpClient();
        await Eventually.HoldsAsync(
            async () => PrometheusText.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{system.EdgeHttpPort}/metrics"), TestContext.Current.CancellationToken)).Sum("grpcstream_edge_sessions") == 5,
            "all five players set up");
        var originMetrics = PrometheusText.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{system.OriginHttpPort}/metrics"), TestContext.Current.CancellationToken));
        Assert.Equal((1, 1), (originMetrics.Sum("grpcstream_origin_subscribers", ("stream", "movie.Mjpeg")), originMetrics.Sum("grpcstream_origin_subscribers", ("stream", "second.mjpeg"))));

        var results = await Task.WhenAll(players);

        Assert.All(results, frames => Assert.Equal(30, frames.Count));
        Assert.True(system.IsSourceFrame("movie.Mjpeg", await TestJpegs.DecodeAsync(results[1][^1])));
        Assert.True(system.IsSourceFrame("second.mjpeg", await TestJpegs.DecodeAsync(results[3][^1])));
        Assert.True(system.IsSourceFrame("second.mjpeg", await TestJpegs.DecodeAsync(results[4][0])));
    }

    /// <summary>Plays with ffmpeg, copying the JPEG frames out untouched; returns them.</summary>
    internal async Task<List<byte[]>> FfmpegAsync(string url, string transport, int frames, string name = "out")
    {
        var output = Path.Combine(_dir, name + ".mjpeg");
        await ExternalTool.RunAsync("ffmpeg",
        [
            "-v", "error", "-rtsp_transport", transport, "-i", url, "-frames:v", frames.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-c:v", "copy", "-f", "mjpeg", "-y", output,
        ], timeout: TimeSpan.FromSeconds(90));
        return TestJpegs.SplitSimple(await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken));
    }
}
