using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Auth;

/// <summary>
/// Password guessing from one address over many connections and both protocols: the address's failure budget holds
/// whatever the number of connections, and users elsewhere log in as before.
/// </summary>
public class PasswordGuessingTests
{
    private const string Attacker = "127.0.0.1";
    private const string Honest = "127.0.0.2";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static AuthenticationHeaderValue Basic(string user, string password) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    [Fact]
    public async Task Guesses_over_400_connections_get_the_addresss_budget_of_answers_and_the_rest_are_refused_unchecked()
    {
        await using var host = await EdgeTestHost.StartAsync(
            true, null, [],
            "Auth:Methods:0=digest", "Auth:Methods:1=basic", "Http:MaxConnectionsPerAddress=0", "Auth:MaxFailureDelay=00:00:01",
            "Auth:Users:0:Name=alice", "Auth:Users:0:Password=wonderland");
        using var attacker = LocalHttp.From(Attacker, host.HttpAddress, connections: 400);
        var started = TimeProvider.System.GetTimestamp();

        // Two waves of 400 parallel guesses, one per connection, each wave's answers all in before the next.
        var statuses = new List<HttpStatusCode>();
        for (var wave = 0; wave < 2; wave++)
        {
            statuses.AddRange(await Task.WhenAll(Enumerable.Range(0, 400).Select(async i =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/streams/movie.Mjpeg.jpg") { Headers = { Authorization = Basic("alice", $"guess{wave}-{i}") } };
                using var response = await attacker.SendAsync(request, Token);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Assert.True(response.Headers.RetryAfter!.Delta > TimeSpan.Zero);
                }

                return response.StatusCode;
            })));
        }

        // Checked and answered "wrong": the budget of 20, and what a minute's refill added meanwhile (one per 3 s).
        var elapsed = TimeProvider.System.GetElapsedTime(started);
        var answered = statuses.Count(s => s == HttpStatusCode.Unauthorized);
        Assert.InRange(answered, 20, 20 + (int)Math.Ceiling(elapsed.TotalSeconds / 3));
        Assert.Equal(800 - answered, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(800 - answered, host.Metrics.LimitHits("auth_failures_per_address"));

        // The same address over RTSP draws on the same budget: refused unchecked, with a 401 after the delay.
        var hits = host.Metrics.LimitHits("auth_failures_per_address");
        await using (var rtsp = await RtspTestClient.ConnectAsync(host.RtspPort, from: Attacker))
        {
            var refused = await rtsp.RequestAsync("DESCRIBE", host.Url(), ("Authorization", $"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:wonderland"))}"));
            Assert.Equal(401, refused.StatusCode);
            Assert.Equal(hits + 1, host.Metrics.LimitHits("auth_failures_per_address"));
        }

        // The right user from another address logs in over HTTP and RTSP as if nothing were going on.
        using var honest = LocalHttp.From(Honest, host.HttpAddress);
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/streams/movie.Mjpeg.jpg") { Headers = { Authorization = Basic("alice", "wonderland") } })
        using (var response = await honest.SendAsync(request, Token))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await using var player = await RtspTestClient.ConnectAsync(host.RtspPort, from: Honest);
        var described = await player.RequestAsync("DESCRIBE", host.Url(), ("Authorization", $"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:wonderland"))}"));
        Assert.Equal(200, described.StatusCode);
    }

    [Fact]
    public async Task A_name_guessed_from_many_addresses_runs_out_of_its_own_budget_while_other_names_log_in()
    {
        await using var host = await EdgeTestHost.StartAsync(
            true, null, [],
            "Auth:Methods:0=basic", "Auth:FailuresPerUser=10", "Auth:FailureWindow=01:00:00", "Auth:MaxFailureDelay=00:00:01",
            "Auth:Users:0:Name=alice", "Auth:Users:0:Password=wonderland",
            "Auth:Users:1:Name=bob", "Auth:Users:1:Password=builder");

        // Five addresses, four guesses each, for alice: ten are checked, the rest refused for the name (an hour's
        // window refills one failure in six minutes, so none comes back meanwhile).
        var statuses = new List<HttpStatusCode>();
        for (var a = 1; a <= 5; a++)
        {
            using var from = LocalHttp.From($"127.0.3.{a}", host.HttpAddress);
            for (var i = 0; i < 4; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/streams") { Headers = { Authorization = Basic("alice", $"guess{a}-{i}") } };
                statuses.Add((await from.SendAsync(request, Token)).StatusCode);
            }
        }

        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(10, host.Metrics.LimitHits("auth_failures_per_user"));

        using var again = LocalHttp.From("127.0.3.1", host.HttpAddress);
        using var bob = new HttpRequestMessage(HttpMethod.Get, "/api/streams") { Headers = { Authorization = Basic("bob", "builder") } };
        Assert.Equal(HttpStatusCode.OK, (await again.SendAsync(bob, Token)).StatusCode);
    }
}
