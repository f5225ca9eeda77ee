extern alias origin;

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GrpcStream.Testing;
using TestPatternStream = origin::GrpcStream.Origin.Sample.TestPatternStream;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcStream.IntegrationTests.Edge.Auth;

/// <summary>The HTTP authentication hook, played by a real HTTP server: what it is asked, its answers cached, its silence a denial.</summary>
public sealed class AuthHookTests : IAsyncDisposable
{
    private readonly WebApplication _hook;
    private readonly List<JsonElement> _questions = [];

    public AuthHookTests()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _hook = builder.Build();
        _hook.MapPost("/auth", async (HttpContext context) =>
        {
            var question = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            lock (_questions)
            {
                _questions.Add(question);
            }

            if (question.GetProperty("user").GetString() == "slow")
            {
                // A hook that never answers: it holds the request until the edge gives up on it.
                var abandoned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                await using (context.RequestAborted.Register(() => abandoned.TrySetResult()))
                {
                    await abandoned.Task;
                }

                return;
            }

            var allowed = question.GetProperty("user").GetString() == "hooked" && question.GetProperty("password").GetString() == "pw"
                && question.GetProperty("stream").GetString() == "movie.Mjpeg";
            context.Response.StatusCode = allowed ? 204 : 403;
        });
        _hook.StartAsync().GetAwaiter().GetResult();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string HookUrl => _hook.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/auth";

    public async ValueTask DisposeAsync() => await _hook.DisposeAsync();

    [Fact]
    public async Task The_hook_decides_for_unknown_users_its_answers_are_cached_and_silence_denies()
    {
        await using var host = await EdgeTestHost.StartAsync(true, $"Auth:HttpHook={HookUrl}", "Auth:Methods=digest,basic", "Auth:HttpHookTimeout=00:00:00.500");
        await using var rtsp = await RtspTestClient.ConnectAsync(host.RtspPort);
        static (string, string) Basic(string credentials) => ("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));

        var first = await rtsp.RequestAsync("DESCRIBE", host.Url(), Basic("hooked:pw"));
        var again = await rtsp.RequestAsync("DESCRIBE", host.Url(), Basic("hooked:pw"));
        var otherStream = await rtsp.RequestAsync("DESCRIBE", host.Url("second.mjpeg"), Basic("hooked:pw"));
        var wrong = await rtsp.RequestAsync("DESCRIBE", host.Url(), Basic("hooked:nope"));
        var slow = await rtsp.RequestAsync("DESCRIBE", host.Url(), Basic("slow:pw"));

        Assert.Equal((200, 200, 401, 401, 401), (first.StatusCode, again.StatusCode, otherStream.StatusCode, wrong.StatusCode, slow.StatusCode));
        lock (_questions)
        {
            // The second DESCRIBE was answered from the cache.
            Assert.Equal(4, _questions.Count);
            var asked = _questions[0];
            Assert.Equal(("hooked", "pw", "127.0.0.1", "movie.Mjpeg", "read", "rtsp"), (
                asked.GetProperty("user").GetString(), asked.GetProperty("password").GetString(), asked.GetProperty("address").GetString(),
                asked.GetProperty("stream").GetString(), asked.GetProperty("action").GetString(), asked.GetProperty("protocol").GetString()));
        }

        Assert.Contains(host.Log.Lines, l => l.Contains("authentication hook", StringComparison.Ordinal) && l.Contains("no answer within 0.5 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Over_http_the_hook_decides_each_stream_and_the_list_shows_what_it_allows()
    {
        var media = Directory.CreateTempSubdirectory("grpcstream-hook-");
        var frames = Enumerable.Range(0, 5).SelectMany(i => TestPatternStream.EncodeFrame(i, 5)).ToArray();
        await File.WriteAllBytesAsync(Path.Combine(media.FullName, "yard.mjpeg"), frames, Token);
        await using var host = await EdgeTestHost.StartAsync(
            true, null, [$"MediaRoot={media.FullName}"], $"Auth:HttpHook={HookUrl}", "Auth:HttpHookCacheTime=00:10:00", "Auth:Methods:0=basic", "Auth:Users:0:Name=alice", "Auth:Users:0:Password=wonderland");
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };

        async Task<HttpResponseMessage> GetAsync(string path, string credentials)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path)
            {
                Headers = { Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials))) },
            };
            return await http.SendAsync(request, Token);
        }

        using var allowed = await GetAsync("/streams/movie.Mjpeg.jpg", "hooked:pw");
        Assert.Equal((HttpStatusCode.OK, "image/jpeg"), (allowed.StatusCode, allowed.Content.Headers.ContentType!.MediaType));

        using var otherStream = await GetAsync("/streams/yard.mjpeg.jpg", "hooked:pw");
        Assert.Equal(HttpStatusCode.Unauthorized, otherStream.StatusCode);
        Assert.StartsWith("Basic ", otherStream.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal("the authentication hook refused user 'hooked' for yard.mjpeg\n", await otherStream.Content.ReadAsStringAsync(Token));

        // A configured user is never asked about.
        using var alice = await GetAsync("/streams/yard.mjpeg.jpg", "alice:wonderland");
        Assert.Equal(HttpStatusCode.OK, alice.StatusCode);

        foreach (var (credentials, listed) in new[] { ("hooked:pw", new[] { "movie.Mjpeg" }), ("hooked:nope", []) })
        {
            using var response = await GetAsync("/api/streams", credentials);
            using var list = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Token));
            Assert.Equal(listed, list.RootElement.GetProperty("streams").EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToArray());
            Assert.Equal(2 - listed.Length, list.RootElement.GetProperty("hidden").GetInt32());
        }

        lock (_questions)
        {
            // movie.Mjpeg and yard.mjpeg for hooked:pw once each (the list's questions were answered from the cache), then both for hooked:nope.
            Assert.Equal(
                [("hooked", "movie.Mjpeg", "http"), ("hooked", "yard.mjpeg", "http")],
                _questions.Take(2).Select(q => (q.GetProperty("user").GetString(), q.GetProperty("stream").GetString(), q.GetProperty("protocol").GetString())).ToArray());
            Assert.Equal(4, _questions.Count);
            Assert.DoesNotContain(_questions, q => q.GetProperty("user").GetString() == "alice");
        }

        Assert.Equal(1, host.Metrics.AuthFailures(401));
        media.Delete(recursive: true);
    }
}
