extern alias origin;
using System.Text.Json;
using GrpcStream.Testing;
using TestPatternStream = origin::GrpcStream.Origin.Sample.TestPatternStream;

namespace GrpcStream.IntegrationTests.Edge.Http;

/// <summary>The page of the streams, in a real browser (headless Chromium), and the list behind it.</summary>
public sealed class StreamPageTests : IDisposable
{
    // The first card's preview at a window of 800x600: inside the image, clear of its edges. The cards are in name
    // order, so the first is the sample's.
    private const int Width = 800;
    private const int Height = 600;
    private static readonly (int Left, int Top, int Right, int Bottom) FirstPreview = (40, 100, 360, 340);

    private readonly DirectoryInfo _media = Directory.CreateTempSubdirectory("grpcstream-page-");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => _media.Delete(recursive: true);

    [Fact]
    public async Task The_api_lists_every_stream_with_its_size_rate_viewers_and_urls()
    {
        await using var host = await StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };
        await using var player = await HonestPlayer.StartAsync(host.Url());
        using var viewer = await http.GetAsync("/streams/movie.Mjpeg.mjpeg", HttpCompletionOption.ResponseHeadersRead, Token);

        using var list = JsonDocument.Parse(await http.GetStringAsync("/api/streams", Token));
        var streams = list.RootElement.GetProperty("streams").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal(["movie.Mjpeg", "yard-east.mjpeg", "yard-west.mjpeg"], streams.Keys.Order(StringComparer.Ordinal));
        var movie = streams["movie.Mjpeg"];
        Assert.Equal((320, 240, 25.0), (movie.GetProperty("width").GetInt32(), movie.GetProperty("height").GetInt32(), movie.GetProperty("frameRate").GetDouble()));
        Assert.Equal((1, 1), (movie.GetProperty("viewers").GetProperty("rtsp").GetInt32(), movie.GetProperty("viewers").GetProperty("http").GetInt32()));
        Assert.Equal($"rtsp://127.0.0.1:{host.RtspPort}/movie.Mjpeg", movie.GetProperty("rtspUrl").GetString());
        Assert.Equal("/streams/yard-west.mjpeg.mjpeg", streams["yard-west.mjpeg"].GetProperty("mjpegUrl").GetString());
        Assert.Equal("/streams/yard-west.mjpeg.jpg", streams["yard-west.mjpeg"].GetProperty("snapshotUrl").GetString());
    }

    [Fact]
    public async Task A_configured_public_rtsp_url_is_the_one_shown()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, [], "PublicRtspUrl=rtsp://cams.example.com:554/");
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };
        using var list = JsonDocument.Parse(await http.GetStringAsync("/api/streams", Token));
        Assert.Equal("rtsp://cams.example.com:554/movie.Mjpeg", list.RootElement.GetProperty("streams")[0].GetProperty("rtspUrl").GetString());
    }

    [Fact]
    public async Task Chromium_shows_every_stream_and_a_preview_that_moves()
    {
        await using var host = await StartAsync();
        var page = host.HttpAddress + "/";

        // The page as the browser built it: a card per stream.
        var dom = await WhenAsync(async () => System.Text.Encoding.UTF8.GetString(await Chromium(["--dump-dom", page])), d => d.Contains("data-stream=", StringComparison.Ordinal), "the page lists the streams");
        foreach (var name in new[] { "yard-east.mjpeg", "yard-west.mjpeg", "movie.Mjpeg" })
        {
            Assert.Contains($"data-stream=\"{name}\"", dom, StringComparison.Ordinal);
        }

        // Two screenshots, the second taken after the first: the sample's frame counter has moved in the preview.
        var first = await WhenAsync(() => PreviewAsync(page, "first"), ShowsPicture, "the first preview shows a picture, not a black box");
        var second = await WhenAsync(() => PreviewAsync(page, "second"), ShowsPicture, "the second preview shows a picture, not a black box");
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task On_a_phone_the_page_is_one_column_of_cards_with_playing_previews_and_nothing_to_scroll_sideways()
    {
        await using var host = await StartAsync();
        await using var phone = await ChromiumPage.OpenAsync(host.HttpAddress + "/", 390, 844, mobile: true, Token);

        // Once every card is there and every preview has a frame, the layout is what it will stay.
        const string Layout = """
            (() => {
              const cards = [...document.querySelectorAll("article")];
              const previews = cards.map(c => c.querySelector("img.preview"));
              return {
                viewport: innerWidth,
                pageWidth: document.documentElement.scrollWidth,
                cards: cards.map(c => { const r = c.getBoundingClientRect(); return { left: r.left, right: r.right }; }),
                previewsPlaying: previews.length > 0 && previews.every(p => p.naturalWidth > 0),
                buttonsInside: [...document.querySelectorAll("article button")].every(b => b.getBoundingClientRect().right <= innerWidth),
              };
            })()
            """;
        JsonElement layout = default;
        await Eventually.HoldsAsync(
            async () => (layout = await phone.EvaluateAsync(Layout, Token)).GetProperty("cards").GetArrayLength() == 3 && layout.GetProperty("previewsPlaying").GetBoolean(),
            "three cards whose previews have frames",
            TimeSpan.FromSeconds(30));

        // The page's viewport is the phone's (a page without a viewport setting would be laid out 980 pixels wide).
        Assert.Equal(390, layout.GetProperty("viewport").GetInt32());
        Assert.True(layout.GetProperty("pageWidth").GetInt32() <= 390, $"the page is {layout.GetProperty("pageWidth")} pixels wide on a 390-pixel screen");
        foreach (var card in layout.GetProperty("cards").EnumerateArray())
        {
            // One column: each card spans the screen but for the margins.
            Assert.InRange(card.GetProperty("left").GetDouble(), 0, 24);
            Assert.InRange(card.GetProperty("right").GetDouble(), 390 - 24, 390);
        }

        Assert.True(layout.GetProperty("buttonsInside").GetBoolean(), "every copy button is on the screen");
    }

    private static bool ShowsPicture(byte[] rgb) => rgb.Count(b => b > 40) > rgb.Length / 4;

    /// <summary>
    /// Runs <paramref name="attempt"/> until its result satisfies <paramref name="done"/> (30 s at most): the browser's
    /// two seconds of virtual time may pass before a preview's first frame on a busy machine.
    /// </summary>
    private static async Task<T> WhenAsync<T>(Func<Task<T>> attempt, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var result = await attempt();
            if (done(result))
            {
                return result;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
        }
    }

    /// <summary>The first card's preview region of a screenshot, as RGB bytes.</summary>
    private async Task<byte[]> PreviewAsync(string page, string name)
    {
        var file = Path.Combine(_media.FullName, name + ".png");
        await Chromium([$"--screenshot={file}", page]);
        var (left, top, right, bottom) = FirstPreview;
        return await ExternalTool.RunAsync("ffmpeg", ["-v", "error", "-i", file, "-vf", $"crop={right - left}:{bottom - top}:{left}:{top}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]);
    }

    /// <summary>
    /// Headless Chromium on the page. An MJPEG image never finishes loading, so the page is given two seconds of
    /// virtual time: the previews have frames by then, and the browser does not wait for the streams to end.
    /// </summary>
    private static Task<byte[]> Chromium(IEnumerable<string> arguments) => ExternalTool.RunAsync(
        "chromium",
        ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", $"--window-size={Width},{Height}", "--virtual-time-budget=2000", .. arguments],
        timeout: TimeSpan.FromSeconds(60));

    /// <summary>An edge on an origin with the sample and two more streams (files of concatenated JPEGs), named to sort after it.</summary>
    private async Task<EdgeTestHost> StartAsync()
    {
        var frames = Enumerable.Range(0, 10).Select(i => TestPatternStream.EncodeFrame(i, 10)).SelectMany(f => f).ToArray();
        await File.WriteAllBytesAsync(Path.Combine(_media.FullName, "yard-east.mjpeg"), frames, Token);
        await File.WriteAllBytesAsync(Path.Combine(_media.FullName, "yard-west.mjpeg"), frames, Token);
        // The sample runs for 10 s before its counter repeats (the test hosts' default of 25 frames repeats each second,
        // and two screenshots a second apart could show the same frame).
        return await EdgeTestHost.StartAsync(true, null, [$"MediaRoot={_media.FullName}", "Sample:FrameCount=250"]);
    }
}
