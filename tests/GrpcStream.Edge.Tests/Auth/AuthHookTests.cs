using System.Text;
using System.Text.Json;
using GrpcStream.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcStream.Edge.Tests.Auth;

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
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            }

            var allowed = question.GetProperty("user").GetString() == "hooked" && question.GetProperty("password").GetString() == "pw"
                && question.GetProperty("stream").GetString() == "movie.Mjpeg";
            context.Response.StatusCode = allowed ? 204 : 403;
        });
        _hook.StartAsync().GetAwaiter().GetResult();
    }

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
}
