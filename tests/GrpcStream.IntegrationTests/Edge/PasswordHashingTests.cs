using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge;

/// <summary>
/// An edge process with a user whose password is stored as argon2 (64 MiB a check, as <c>grpcstream
/// hash-password</c> makes it), attacked from one address: its memory stays bounded, a user elsewhere is served,
/// and a wrong password takes as long whether or not the name exists. Alone in its collection: it measures time.
/// </summary>
[Collection(nameof(PasswordTiming))]
public sealed class PasswordHashingTests
{
    private const string Password = "correct horse battery staple";
    private static readonly Lazy<string> Hash = new(() => Isopoh.Cryptography.Argon2.Argon2.Hash(Password));

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static AuthenticationHeaderValue Basic(string user, string password) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    /// <summary>An edge whose users are "viewer" (argon2) and "prometheus" (metrics), with <paramref name="settings"/>.</summary>
    private static async Task<StreamingSystem> StartAsync(params string[] settings)
    {
        var hash = await Task.Run(() => Hash.Value, Token);
        var system = new StreamingSystem(
            1,
            [
                "--Edge:Auth:Methods:0=digest", "--Edge:Auth:Methods:1=basic",
                "--Edge:Auth:Users:0:Name=viewer", $"--Edge:Auth:Users:0:Password=argon2:{hash}",
                "--Edge:Auth:Users:1:Name=prometheus", "--Edge:Auth:Users:1:Password=scrape", "--Edge:Auth:Users:1:Permissions:0=metrics",
                .. settings,
            ]);
        await system.InitializeAsync();
        return system;
    }

    private static string HttpAddress(StreamingSystem system) => $"http://127.0.0.1:{system.EdgeHttpPort}";

    [Fact]
    public async Task Forty_eight_parallel_wrong_guesses_from_one_address_keep_the_edge_under_512_MB_and_a_user_elsewhere_is_served()
    {
        await using var system = await StartAsync("--Edge:Auth:MaxFailureDelay=00:00:01");
        var statuses = await AttackAsync(system, ["127.0.0.1"], async () =>
        {
            // The right user from another address gets a snapshot; its password is checked (it was never seen
            // before) beside the one check the attacker's address may have under way.
            using var honest = LocalHttp.From("127.0.0.2", HttpAddress(system));
            var asked = TimeProvider.System.GetTimestamp();
            using var request = new HttpRequestMessage(HttpMethod.Get, "/streams/movie.Mjpeg.jpg") { Headers = { Authorization = Basic("viewer", Password) } };
            using var response = await honest.SendAsync(request, Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/jpeg", response.Content.Headers.ContentType!.MediaType);

            // Generous for a busy machine: queued behind the attack's checks it would take many seconds, and fail
            // (the figure for a quiet machine is in BENCHMARKS.md).
            var waited = TimeProvider.System.GetElapsedTime(asked);
            Assert.True(waited < TimeSpan.FromSeconds(3), $"the honest snapshot took {waited.TotalMilliseconds:0} ms");
        });

        // Each guess is answered wrong (401), refused for the address's spent budget (429), or refused unchecked
        // while the address's one check runs (503); none gets in.
        Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.ServiceUnavailable }));
        Assert.True(await LimitHitsAsync(system, "password_checks") > 0);
    }

    [Fact]
    public async Task With_no_failure_budget_the_bounded_verifier_alone_keeps_the_edge_under_512_MB()
    {
        // Every guess that gets in is really hashed: 48 guessers on four addresses keep the verifier full.
        await using var system = await StartAsync("--Edge:Auth:MaxFailureDelay=00:00:01", "--Edge:Auth:FailuresPerAddress=0", "--Edge:Auth:FailuresPerUser=0");
        var statuses = await AttackAsync(system, ["127.0.0.1", "127.0.0.3", "127.0.0.4", "127.0.0.5"], async () =>
        {
            using var honest = LocalHttp.From("127.0.0.2", HttpAddress(system));
            using var request = new HttpRequestMessage(HttpMethod.Get, "/streams/movie.Mjpeg.jpg") { Headers = { Authorization = Basic("viewer", Password) } };
            Assert.Equal(HttpStatusCode.OK, (await honest.SendAsync(request, Token)).StatusCode);
        });

        Assert.Contains(HttpStatusCode.Unauthorized, statuses);
        Assert.Contains(HttpStatusCode.ServiceUnavailable, statuses);
        Assert.True(await LimitHitsAsync(system, "password_checks") > 0);
    }

    /// <summary>
    /// 48 workers guessing the argon2 user's password from <paramref name="addresses"/> in turn, each sending its
    /// next guess as soon as the last is answered; <paramref name="meanwhile"/> runs once the attack is under way.
    /// Afterwards the edge's peak resident memory, attack included, must be under 512 MB.
    /// </summary>
    private static async Task<List<HttpStatusCode>> AttackAsync(StreamingSystem system, string[] addresses, Func<Task> meanwhile)
    {
        var clients = addresses.Select(a => LocalHttp.From(a, HttpAddress(system), connections: 48)).ToArray();
        var statuses = new System.Collections.Concurrent.ConcurrentQueue<HttpStatusCode>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var workers = Enumerable.Range(0, 48).Select(worker => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/streams/movie.Mjpeg.jpg") { Headers = { Authorization = Basic("viewer", $"guess-{worker}-{n}") } };
                try
                {
                    using var response = await clients[worker % clients.Length].SendAsync(request, stop.Token);
                    statuses.Enqueue(response.StatusCode);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, CancellationToken.None)).ToArray();

        try
        {
            await Eventually.HoldsAsync(() => statuses.Count >= 48, "the attack is under way", TimeSpan.FromSeconds(60));
            await meanwhile();
            await Eventually.HoldsAsync(() => statuses.Count >= 200, "the attack went on", TimeSpan.FromSeconds(120));
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(workers);
            Array.ForEach(clients, c => c.Dispose());
        }

        var peak = PeakResidentBytes(system.Edge.Id);
        Assert.True(peak < 512L * 1024 * 1024, $"the edge peaked at {peak / (1024 * 1024)} MB");
        return [.. statuses];
    }

    private static async Task<double> LimitHitsAsync(StreamingSystem system, string limit)
    {
        using var metrics = LocalHttp.From("127.0.0.6", HttpAddress(system));
        using var scrape = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = Basic("prometheus", "scrape") } };
        using var response = await metrics.SendAsync(scrape, Token);
        return PrometheusText.Parse(await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync(Token)).Sum("grpcstream_edge_limit_hits_total", ("limit", limit));
    }

    [Fact]
    public async Task A_wrong_password_takes_as_long_for_a_made_up_name_as_for_a_real_one()
    {
        await using var system = await StartAsync();
        // Each attempt from an address of its own, so that every answer has the same first failure delay.
        var real = new List<double>();
        var madeUp = new List<double>();
        for (var i = 1; i <= 15; i++)
        {
            foreach (var (name, times, host) in new[] { ("viewer", real, 2 * i), ("nobody", madeUp, (2 * i) + 1) })
            {
                using var from = LocalHttp.From($"127.0.4.{host}", HttpAddress(system));
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/streams") { Headers = { Authorization = Basic(name, $"wrong{i}") } };
                var started = TimeProvider.System.GetTimestamp();
                using var response = await from.SendAsync(request, Token);
                times.Add(TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }
        }

        var (realMedian, madeUpMedian) = (Median(real), Median(madeUp));
        Assert.True(
            Math.Abs(realMedian - madeUpMedian) <= 0.1 * realMedian,
            string.Create(CultureInfo.InvariantCulture, $"median {realMedian:0} ms for a real name, {madeUpMedian:0} ms for a made-up one"));
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static long PeakResidentBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("no VmHWM in /proc/PID/status");
    }
}

[CollectionDefinition(nameof(PasswordTiming), DisableParallelization = true)]
public sealed class PasswordTiming;
