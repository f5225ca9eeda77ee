extern alias origin;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Net.Client;
using GrpcStream.Edge.Hosting;
using GrpcStream.Protos.Edge.V1;
using GrpcStream.Testing;
using TestPatternStream = origin::GrpcStream.Origin.Sample.TestPatternStream;

namespace GrpcStream.IntegrationTests.Edge.Http;

/// <summary>Browsers' streams on the edge's HTTP port, read by a strict multipart parser, against a real origin.</summary>
public class MjpegViewerTests
{
    // A short sample: every frame of the source is encoded once here and compared byte for byte.
    private const int SampleFrames = 25;
    private static readonly string[] ShortSample = ["Sample:FrameCount=25"];
    private static readonly Lazy<byte[][]> Source = new(() => [.. Enumerable.Range(0, SampleFrames).Select(i => TestPatternStream.EncodeFrame(i, SampleFrames))]);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_part_is_the_sources_frame_byte_for_byte_with_its_sequence_and_timestamp()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, ShortSample);
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };
        using var response = await http.GetAsync("/streams/movie.Mjpeg.mjpeg", HttpCompletionOption.ResponseHeadersRead, Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("multipart/x-mixed-replace; boundary=frame", response.Content.Headers.ContentType!.ToString());
        Assert.True(response.Headers.CacheControl!.NoStore);
        using var parts = new MjpegParts(await response.Content.ReadAsStreamAsync(Token), "frame");
        ulong? previous = null;
        for (var i = 0; i < 30; i++)
        {
            var part = await parts.NextAsync(Token);
            Assert.Equal("image/jpeg", part.Headers["Content-Type"]);
            Assert.Equal(Source.Value[part.Sequence % SampleFrames], part.Body);

            // The sample's clock: 25 frames a second, the timestamp being sequence / 25 seconds.
            Assert.Equal((part.Sequence / 25.0).ToString("0.000000", CultureInfo.InvariantCulture), part.Headers["X-Timestamp"]);
            Assert.True(previous is null || part.Sequence > previous, $"sequence {part.Sequence} after {previous}");
            previous = part.Sequence;
        }

        // The viewer is a session with transport http, in the control API as in the metrics.
        var sessions = await new EdgeControl.EdgeControlClient(GrpcChannel.ForAddress(host.Edge.ControlAddress())).ListSessionsAsync(new ListSessionsRequest(), cancellationToken: Token);
        var viewer = Assert.Single(sessions.Sessions);
        Assert.Equal(("http", "movie.Mjpeg", "playing"), (viewer.Transport, viewer.Stream, viewer.State));
        Assert.True(viewer.FramesSent >= 30);
        Assert.Equal(1, host.Metrics.Sessions("http"));

        response.Dispose();
        await Eventually.HoldsAsync(() => host.Metrics.Sessions("http") == 0, "the viewer's session ends when it goes");
    }

    [Fact]
    public async Task A_thinned_stream_sends_every_fifth_frame_of_25_when_asked_for_5_a_second()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, ShortSample);
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };
        using var response = await http.GetAsync("/streams/movie.Mjpeg.mjpeg?fps=5", HttpCompletionOption.ResponseHeadersRead, Token);
        using var parts = new MjpegParts(await response.Content.ReadAsStreamAsync(Token), "frame");
        var sequences = new List<ulong>();
        for (var i = 0; i < 8; i++)
        {
            var part = await parts.NextAsync(Token);
            Assert.Equal(Source.Value[part.Sequence % SampleFrames], part.Body);
            sequences.Add(part.Sequence);
        }

        // Due every fifth tick of the source's clock; a tick the origin skipped on a busy machine delays one part,
        // and the next, due on the same grid, then comes that much sooner (6 then 4).
        var steps = sequences.Zip(sequences.Skip(1), (a, b) => b - a).ToArray();
        Assert.All(steps, step => Assert.InRange(step, 3UL, 7UL));
        Assert.InRange(sequences[^1] - sequences[0], 5UL * (ulong)steps.Length, (5UL * (ulong)steps.Length) + 2);
        Assert.InRange(steps.Count(step => step == 5), steps.Length - 2, steps.Length);
    }

    [Fact]
    public async Task A_snapshot_is_the_latest_frame_and_with_wait_the_next_one()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, ShortSample);
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };

        using var latest = await http.GetAsync("/streams/movie.Mjpeg.jpg", Token);
        Assert.Equal(HttpStatusCode.OK, latest.StatusCode);
        Assert.Equal("image/jpeg", latest.Content.Headers.ContentType!.MediaType);
        Assert.True(latest.Headers.CacheControl!.NoStore);
        var sequence = ulong.Parse(latest.Headers.GetValues("X-Sequence").Single(), CultureInfo.InvariantCulture);
        Assert.Equal(Source.Value[sequence % SampleFrames], await latest.Content.ReadAsByteArrayAsync(Token));

        using var next = await http.GetAsync("/streams/movie.Mjpeg.jpg?wait=1", Token);
        var nextSequence = ulong.Parse(next.Headers.GetValues("X-Sequence").Single(), CultureInfo.InvariantCulture);
        Assert.True(nextSequence > sequence, $"waited for a frame after {sequence}, got {nextSequence}");
        Assert.Equal(Source.Value[nextSequence % SampleFrames], await next.Content.ReadAsByteArrayAsync(Token));
    }

    [Fact]
    public async Task Ffmpeg_decodes_the_stream_and_djpeg_a_snapshot_taken_with_curl()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, ShortSample);

        // ffmpeg reads multipart/x-mixed-replace with its mjpeg demuxer over HTTP: 10 frames of 320x240 RGB.
        var decoded = await ExternalTool.RunAsync("ffmpeg", ["-v", "error", "-f", "mjpeg", "-i", $"{host.HttpAddress}/streams/movie.Mjpeg.mjpeg", "-frames:v", "10", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(10 * 320 * 240 * 3, decoded.Length);

        var snapshot = await ExternalTool.RunAsync("curl", ["-sf", $"{host.HttpAddress}/streams/movie.Mjpeg.jpg"]);
        var image = await ExternalTool.RunAsync("djpeg", ["-pnm"], snapshot);
        Assert.StartsWith("P6\n320 240\n255\n", Encoding.ASCII.GetString(image, 0, 15), StringComparison.Ordinal);
        Assert.Equal(15 + (320 * 240 * 3), image.Length);
    }

    [Theory]
    [InlineData("/streams/nothing.mjpeg", HttpStatusCode.NotFound, "no stream 'nothing'")]
    [InlineData("/streams/nothing.jpg", HttpStatusCode.NotFound, "no stream 'nothing'")]
    [InlineData("/streams/live/cam1.mjpeg", HttpStatusCode.NotFound, "no stream 'live/cam1'")]
    [InlineData("/streams/movie.Mjpeg", HttpStatusCode.NotFound, "no such resource: /streams/movie.Mjpeg (streams are /streams/NAME.mjpeg and /streams/NAME.jpg)")]
    [InlineData("/streams/a//b.jpg", HttpStatusCode.NotFound, "no such resource: /streams/a//b.jpg (streams are /streams/NAME.mjpeg and /streams/NAME.jpg)")]
    [InlineData("/streams/movie.Mjpeg.mjpeg?fps=0", HttpStatusCode.BadRequest, "fps must be a number from 0.0167 to 1000 (was '0')")]
    [InlineData("/streams/movie.Mjpeg.mjpeg?fps=fast", HttpStatusCode.BadRequest, "fps must be a number from 0.0167 to 1000 (was 'fast')")]
    public async Task What_cannot_be_served_gets_its_status_and_one_line(string path, HttpStatusCode status, string line)
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, ShortSample);
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };
        using var response = await http.GetAsync(path, Token);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(line + "\n", await response.Content.ReadAsStringAsync(Token));
    }

    [Fact]
    public async Task Viewers_over_the_cap_are_refused_with_503_and_the_cap_is_counted()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, ShortSample, "Http:MaxViewers=1");
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };
        using (var first = await http.GetAsync("/streams/movie.Mjpeg.mjpeg", HttpCompletionOption.ResponseHeadersRead, Token))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            using var second = await http.GetAsync("/streams/movie.Mjpeg.mjpeg", HttpCompletionOption.ResponseHeadersRead, Token);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
            Assert.Equal("1 HTTP viewers on this edge\n", await second.Content.ReadAsStringAsync(Token));
            Assert.Equal(TimeSpan.FromSeconds(5), second.Headers.RetryAfter!.Delta);
            Assert.Equal(1, host.Metrics.LimitHits("max_http_viewers"));

            // The cap is the viewers' own: RTSP players still get in.
            await using var player = await HonestPlayer.StartAsync(host.Url());
            await player.WaitForMoreFramesAsync(3);
        }

        // Once the first viewer has gone, there is room again.
        await Eventually.HoldsAsync(() => host.Metrics.Sessions("http") == 0, "the first viewer's session ends");
        using var third = await http.GetAsync("/streams/movie.Mjpeg.mjpeg", HttpCompletionOption.ResponseHeadersRead, Token);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
    }

    [Fact]
    public async Task A_viewer_that_stops_reading_loses_frames_and_is_cut_off_while_an_rtsp_player_loses_nothing()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, ShortSample, "Http:WriteTimeout=00:00:01");
        await using var player = await HonestPlayer.StartAsync(host.Url());

        // A viewer with a small receive buffer that asks for the stream and never reads a byte of it.
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        var address = new Uri(host.HttpAddress);
        await stalled.ConnectAsync(IPAddress.Loopback, address.Port, Token);
        await stalled.SendAsync(Encoding.ASCII.GetBytes($"GET /streams/movie.Mjpeg.mjpeg HTTP/1.1\r\nHost: {address.Authority}\r\n\r\n"), Token);

        await Eventually.HoldsAsync(() => host.Metrics.LimitHits("http_write_timeout") == 1, "the stalled viewer is cut off after its write timeout", TimeSpan.FromSeconds(60));
        Assert.True(host.Metrics.FramesDropped("http") > 0, "the stalled viewer lost frames before it was cut off");
        Assert.Equal(1, host.Metrics.SessionsClosed("error"));
        await Eventually.HoldsAsync(() => host.Metrics.Sessions("http") == 0, "its session is gone");

        await player.WaitForMoreFramesAsync(10);
        player.AssertLostNothing(host);
    }
}
