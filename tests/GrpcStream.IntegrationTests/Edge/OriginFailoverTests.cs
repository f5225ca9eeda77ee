using System.Globalization;
using System.Text.Json;
using GrpcStream.Rtsp.Client;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge;

/// <summary>
/// Two origins serving the same media and an edge that lists both, as processes: what players see when the
/// preferred origin is killed (the stream moves to the other), and when both are down (the slate, then real frames
/// again in the same session).
/// </summary>
public sealed class OriginFailoverTests : IAsyncLifetime
{
    private const string Stream = "movie.Mjpeg";
    private readonly StreamingSystem _system = new(2, "--Edge:Origin:FailbackAfter=00:00:03");
    private readonly string _dir = Directory.CreateTempSubdirectory("grpcstream-failover-").FullName;

    public ValueTask InitializeAsync() => _system.InitializeAsync();

    public async ValueTask DisposeAsync()
    {
        await _system.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public async Task Killing_the_preferred_origin_under_a_playing_ffmpeg_moves_the_stream_to_the_next_without_a_gap(string transport)
    {
        // 250 frames: 10 s at 25 fps, the origin killed about 2 s in.
        await using var player = FfmpegPlayer.Start(_system.Url(Stream), transport, "-frames:v", "250", "-c:v", "copy", "-f", "framecrc", Path.Combine(_dir, "frames.crc"));
        await Eventually.HoldsAsync(async () => await SourceOfAsync() == _system.OriginAddress(0) && (await EdgeMetricsAsync()).Sum("grpcstream_edge_frames_sent_total") >= 50, "ffmpeg playing from the first origin", TimeSpan.FromSeconds(30));

        await _system.KillOriginAsync(0);
        await Eventually.HoldsAsync(async () => await SourceOfAsync() == _system.OriginAddress(1), "the stream taken from the second origin");

        await player.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(player.ExitCode == 0, player.Log);
        Assert.DoesNotContain("missed", player.Log, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("error", player.Log, StringComparison.OrdinalIgnoreCase);
        var pts = await PresentationTimesAsync(Path.Combine(_dir, "frames.crc"));
        Assert.Equal(250, pts.Count);
        AssertNoGapOver(pts, TimeSpan.FromSeconds(1));

        var metrics = await EdgeMetricsAsync();
        Assert.Equal(1, metrics.Sum("grpcstream_edge_origin_failovers_total", ("from", _system.OriginAddress(0)), ("to", _system.OriginAddress(1))));
        Assert.Equal(1, metrics.Sum("grpcstream_edge_origin_streams", ("origin", _system.OriginAddress(1))));
        Assert.Equal(0, metrics.Sum("grpcstream_edge_slate_frames_total"));
        Assert.Contains(_system.Edge.Output, l => l.Contains($"Origin stream {Stream} moves from {_system.OriginAddress(0)} to {_system.OriginAddress(1)}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_every_origin_down_players_get_the_slate_and_then_real_frames_again_in_the_same_session()
    {
        await using var honest = await HonestPlayer.StartAsync(_system.Url(Stream), RtspTransport.Udp);
        var mjpeg = Path.Combine(_dir, "frames.mjpeg");
        var crc = Path.Combine(_dir, "frames.crc");
        await using var player = FfmpegPlayer.Start(_system.Url(Stream), "tcp", "-c:v", "copy", "-f", "framecrc", crc, "-c:v", "copy", "-f", "mjpeg", mjpeg);
        await Eventually.HoldsAsync(async () => (await EdgeMetricsAsync()).Sum("grpcstream_edge_frames_sent_total") >= 100, "both players playing", TimeSpan.FromSeconds(30));

        // Both origins down for 10 s: the slate, once a second.
        await _system.KillOriginAsync(0);
        await _system.KillOriginAsync(1);
        await Eventually.HoldsAsync(async () => (await EdgeMetricsAsync()).Sum("grpcstream_edge_slate_frames_total") >= 10, "ten slate frames", TimeSpan.FromSeconds(30));
        var health = await HealthAsync();
        Assert.Equal("Degraded", health.GetProperty("status").GetString());
        Assert.True(StreamHealth(health).GetProperty("onSlate").GetBoolean());

        // One origin back: real frames again, in the same sessions.
        await _system.StartOriginAsync(1);
        await Eventually.HoldsAsync(async () => await SourceOfAsync() == _system.OriginAddress(1), "the stream taken from the second origin again", TimeSpan.FromSeconds(30));
        await honest.WaitForMoreFramesAsync(50);
        Assert.Equal(0, await player.QuitAsync(TimeSpan.FromSeconds(30)));

        // The honest player's RTP: no sequence number missing, timestamps on the frame grid throughout.
        honest.AssertLostNothing();
        Assert.DoesNotContain("missed", player.Log, StringComparison.OrdinalIgnoreCase);

        // ffmpeg's frames: real, then slate (the stream's size, about one a second), then real again.
        var frames = TestJpegs.SplitSimple(await File.ReadAllBytesAsync(mjpeg, TestContext.Current.CancellationToken));
        var kinds = new List<char>();
        foreach (var frame in frames)
        {
            var decoded = await TestJpegs.DecodeAsync(frame);
            kinds.Add(_system.IsSourceFrame(Stream, decoded) ? 'r' : IsSlate(decoded, 320, 240) ? 's' : '?');
        }

        var pattern = new string([.. kinds]);
        Assert.DoesNotContain('?', pattern);
        Assert.Matches("^r+s{9,}r{25,}$", pattern);
        var pts = await PresentationTimesAsync(crc);
        Assert.Equal(frames.Count, pts.Count);
        // The slate comes once a second (the first SlateAfter, 1 s, after the last real frame), looked for every
        // quarter second: 1.25 s at most between frames, and room for a busy machine's late timer.
        AssertNoGapOver(pts, TimeSpan.FromSeconds(2));

        var metrics = await EdgeMetricsAsync();
        Assert.True(metrics.Sum("grpcstream_edge_slate_time_seconds_total") >= 9, "time on the slate counted");
        Assert.Equal(0, metrics.Sum("grpcstream_edge_slate_streams"));
        Assert.Equal(1, _system.Edge.Output.Count(l => l.Contains($"{Stream} set up over tcp", StringComparison.Ordinal)));
    }

    /// <summary>The slate's look: its background at the left edge halfway down, its amber band along the top.</summary>
    private static bool IsSlate(byte[] ppm, int width, int height)
    {
        var offset = ppm.Length - (width * height * 3);
        bool Near(int x, int y, int r, int g, int b)
        {
            var i = offset + (((y * width) + x) * 3);
            return Math.Abs(ppm[i] - r) <= 12 && Math.Abs(ppm[i + 1] - g) <= 12 && Math.Abs(ppm[i + 2] - b) <= 12;
        }

        return Near(4, height / 2, 40, 40, 48) && Near(width / 2, 2, 200, 140, 0);
    }

    /// <summary>The presentation times (90 kHz) in an ffmpeg framecrc file.</summary>
    private static async Task<List<long>> PresentationTimesAsync(string path) =>
        [.. (await File.ReadAllLinesAsync(path, TestContext.Current.CancellationToken))
            .Where(l => l.StartsWith("0,", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(',')[2].Trim(), CultureInfo.InvariantCulture))];

    private static void AssertNoGapOver(List<long> pts, TimeSpan most)
    {
        for (var i = 1; i < pts.Count; i++)
        {
            var step = pts[i] - pts[i - 1];
            Assert.True(step > 0 && step <= most.TotalSeconds * 90_000, $"frame {i} came {step / 90_000.0:0.000} s of media time after the one before");
        }
    }

    private async Task<PrometheusText> EdgeMetricsAsync()
    {
        using var http = new HttpClient();
        return PrometheusText.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{_system.EdgeHttpPort}/metrics"), TestContext.Current.CancellationToken));
    }

    private async Task<JsonElement> HealthAsync()
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(_system.EdgeHealthUrl), TestContext.Current.CancellationToken);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();
    }

    private static JsonElement StreamHealth(JsonElement health) =>
        health.GetProperty("checks").GetProperty("origin-link").GetProperty("data").GetProperty("streams").GetProperty(Stream);

    /// <summary>The origin the edge's /healthz says the stream comes from now; null for none.</summary>
    private async Task<string?> SourceOfAsync()
    {
        var health = await HealthAsync();
        return health.GetProperty("checks").GetProperty("origin-link").GetProperty("data").TryGetProperty("streams", out var streams)
            && streams.TryGetProperty(Stream, out var stream) && stream.GetProperty("origin").ValueKind == JsonValueKind.String
            ? stream.GetProperty("origin").GetString()
            : null;
    }
}
