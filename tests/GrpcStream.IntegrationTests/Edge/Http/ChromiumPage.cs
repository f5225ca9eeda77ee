using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Http;

/// <summary>
/// A page in headless Chromium, driven over the DevTools protocol (a WebSocket with JSON commands): for what a
/// screenshot cannot tell, such as the layout a phone gets. Chromium writes the port it chose to
/// <c>DevToolsActivePort</c> in its profile folder.
/// </summary>
internal sealed class ChromiumPage : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly Process _browser;
    private readonly DirectoryInfo _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _lastId;

    private ChromiumPage(Process browser, DirectoryInfo profile)
    {
        _browser = browser;
        _profile = profile;
    }

    /// <summary>Opens <paramref name="url"/> in a viewport of <paramref name="width"/> x <paramref name="height"/> CSS pixels, as a phone when <paramref name="mobile"/>.</summary>
    public static async Task<ChromiumPage> OpenAsync(string url, int width, int height, bool mobile, CancellationToken cancellationToken)
    {
        var profile = Directory.CreateTempSubdirectory("grpcstream-chromium-");
        var start = new ProcessStartInfo(ExternalTool.Require("chromium"))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            ArgumentList = { "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0", $"--user-data-dir={profile.FullName}", "about:blank" },
        };
        var page = new ChromiumPage(Process.Start(start)!, profile);
        try
        {
            // Chromium's output is not read; draining it keeps a full pipe from stalling the browser.
            _ = page._browser.StandardError.ReadToEndAsync(cancellationToken);
            _ = page._browser.StandardOutput.ReadToEndAsync(cancellationToken);
            var portFile = Path.Combine(profile.FullName, "DevToolsActivePort");
            await Eventually.HoldsAsync(() => File.Exists(portFile) && File.ReadAllLines(portFile).Length >= 2, "Chromium writes its DevTools port", Deadline);
            var port = File.ReadAllLines(portFile)[0];

            using var http = new HttpClient();
            var targets = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list"), cancellationToken))!.AsArray();
            var target = targets.First(t => (string?)t!["type"] == "page")!;
            await page._socket.ConnectAsync(new Uri((string)target["webSocketDebuggerUrl"]!), cancellationToken);

            await page.SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = mobile ? 3 : 1, ["mobile"] = mobile }, cancellationToken);
            await page.SendAsync("Page.navigate", new JsonObject { ["url"] = url }, cancellationToken);

            // Page.navigate answers before the new document exists: until then an expression runs in the old
            // one (or in none). The page is parsed once its location is the URL and it is no longer loading (its
            // load event may never come: an MJPEG image never finishes).
            await Eventually.HoldsAsync(async () => await page.IsAtAsync(url, cancellationToken), $"Chromium shows {url}", Deadline);
            return page;
        }
        catch
        {
            await page.DisposeAsync();
            throw;
        }
    }

    private async Task<bool> IsAtAsync(string url, CancellationToken cancellationToken)
    {
        try
        {
            var state = await EvaluateAsync("document.documentElement !== null && document.readyState !== 'loading' ? location.href : ''", cancellationToken);
            return state.ValueKind == JsonValueKind.String && state.GetString() == url;
        }
        catch (InvalidOperationException)
        {
            return false; // the old document went away mid-evaluation
        }
    }

    /// <summary>The value of a JavaScript expression in the page (awaited if it is a promise).</summary>
    public async Task<JsonElement> EvaluateAsync(string expression, CancellationToken cancellationToken)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true }, cancellationToken);
        if (result.TryGetProperty("exceptionDetails", out var exception))
        {
            throw new InvalidOperationException($"the page threw: {exception}");
        }

        return result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    /// <summary>Sends a command and returns its result; the events that come in between are not needed here.</summary>
    private async Task<JsonElement> SendAsync(string method, JsonObject parameters, CancellationToken cancellationToken)
    {
        var id = ++_lastId;
        var command = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(command.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Deadline);
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await _socket.ReceiveAsync(_buffer, timeout.Token);
                message.Write(_buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);

            using var answer = JsonDocument.Parse(message.ToArray());
            if (answer.RootElement.TryGetProperty("id", out var answered) && answered.GetInt32() == id)
            {
                if (answer.RootElement.TryGetProperty("error", out var error))
                {
                    throw new InvalidOperationException($"{method} failed: {error}");
                }

                return answer.RootElement.GetProperty("result").Clone();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        if (!_browser.HasExited)
        {
            _browser.Kill(entireProcessTree: true);
            await _browser.WaitForExitAsync();
        }

        _browser.Dispose();
        try
        {
            _profile.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A child process may still be writing its last file; the temp folder is cleaned up in time anyway.
        }
    }
}
