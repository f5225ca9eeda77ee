using System.Net;
using GrpcStream.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace GrpcStream.IntegrationTests.Edge.Origin;

/// <summary>What the origin link does when the origin's address answers with something that is not the origin.</summary>
public class OriginLinkTests
{
    [Fact]
    public async Task A_playing_session_resumes_after_a_server_that_is_not_the_origin_answered_in_its_place()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, [], "Origin:RetryMaxDelay=00:00:00.500");
        await using var player = await HonestPlayer.StartAsync(host.Url());
        await player.WaitForMoreFramesAsync(5);

        // The origin is replaced by an HTTP/2 server that answers 404 to everything (gRPC reads it as Unimplemented):
        // a wrong port, a load balancer in the way, a redeployment.
        await host.StopOriginAsync();
        await using (var impostor = await NotAnOriginAsync(new Uri(host.OriginAddress).Port))
        {
            // The link keeps trying, backing off, and says why, in the log and in /healthz.
            await Eventually.HoldsAsync(() => host.Log.Lines.Count(l => l.Contains("does not answer as a media origin", StringComparison.Ordinal)) >= 3, "three retries against the impostor");
            var health = await HealthAsync(host);
            Assert.Contains("Degraded", health, StringComparison.Ordinal);
            Assert.Contains("does not answer as a media origin", health, StringComparison.Ordinal);
        }

        // The origin is back: the same session plays on.
        await host.RestartOriginAsync();
        await player.WaitForMoreFramesAsync(10);
        player.AssertLostNothing(host);
        Assert.DoesNotContain(host.Log.Lines, l => l.Contains("failed for good", StringComparison.Ordinal) || l.Contains("at the origin failed", StringComparison.Ordinal));
    }

    private static async Task<WebApplication> NotAnOriginAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }

    private static async Task<string> HealthAsync(EdgeTestHost host)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(host.HttpAddress + "/healthz"), TestContext.Current.CancellationToken);
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }
}
