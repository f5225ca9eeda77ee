using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Http;

/// <summary>The edge's users on its HTTP port: HTTP Basic, the same permissions as RTSP, and what the page shows.</summary>
public class HttpAccessTests
{
    // alice reads everything; bob only streams named cam-*; both with Basic allowed over plain HTTP.
    private static readonly string[] Users =
    [
        "Auth:Users:0:Name=alice", "Auth:Users:0:Password=wonderland",
        "Auth:Users:1:Name=bob", "Auth:Users:1:Password=builder", "Auth:Users:1:Streams:0=cam-*",
    ];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static AuthenticationHeaderValue Basic(string user, string password) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    [Fact]
    public async Task Streams_need_a_user_who_may_read_them()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, [], [.. Users, "Auth:Methods:0=basic"]);
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };

        async Task<HttpResponseMessage> GetAsync(string path, AuthenticationHeaderValue? credentials)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = credentials } };
            return await http.SendAsync(request, Token);
        }

        using var anonymous = await GetAsync("/streams/movie.Mjpeg.jpg", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Basic realm=\"GrpcStream\", charset=\"UTF-8\"", anonymous.Headers.WwwAuthenticate.ToString());
        Assert.Equal("'movie.Mjpeg' needs a login\n", await anonymous.Content.ReadAsStringAsync(Token));

        // An unknown stream is not told apart from a known one before the caller is known.
        using var unknown = await GetAsync("/streams/nothing.jpg", null);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);

        using var alice = await GetAsync("/streams/movie.Mjpeg.jpg", Basic("alice", "wonderland"));
        Assert.Equal(HttpStatusCode.OK, alice.StatusCode);
        Assert.Equal("image/jpeg", alice.Content.Headers.ContentType!.MediaType);

        using var wrong = await GetAsync("/streams/movie.Mjpeg.jpg", Basic("alice", "looking-glass"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("wrong user name or password\n", await wrong.Content.ReadAsStringAsync(Token));
        Assert.Equal(1, host.Metrics.AuthFailures(401));

        using var bob = await GetAsync("/streams/movie.Mjpeg.mjpeg", Basic("bob", "builder"));
        Assert.Equal(HttpStatusCode.Forbidden, bob.StatusCode);
        Assert.Equal("user 'bob' may not read movie.Mjpeg\n", await bob.Content.ReadAsStringAsync(Token));
    }

    [Fact]
    public async Task Without_basic_allowed_over_plain_http_credentials_are_refused_and_no_login_is_offered()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, [], Users);
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };

        using var anonymous = await http.GetAsync("/streams/movie.Mjpeg.jpg", Token);
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        Assert.Equal("'movie.Mjpeg' needs a login, and Basic credentials are not accepted over plain HTTP (Edge:Auth:Methods)\n", await anonymous.Content.ReadAsStringAsync(Token));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/streams/movie.Mjpeg.jpg") { Headers = { Authorization = Basic("alice", "wonderland") } };
        using var alice = await http.SendAsync(request, Token);
        Assert.Equal(HttpStatusCode.Forbidden, alice.StatusCode);

        using var list = JsonDocument.Parse(await http.GetStringAsync("/api/streams", Token));
        Assert.Equal((1, JsonValueKind.Null), (list.RootElement.GetProperty("hidden").GetInt32(), list.RootElement.GetProperty("loginUrl").ValueKind));
    }

    [Fact]
    public async Task The_list_shows_what_the_caller_may_read_and_offers_a_login_to_others()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, [], [.. Users, "Auth:Methods:0=basic"]);
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };

        using (var anonymous = JsonDocument.Parse(await http.GetStringAsync("/api/streams", Token)))
        {
            Assert.Equal(0, anonymous.RootElement.GetProperty("streams").GetArrayLength());
            Assert.Equal((1, "/login"), (anonymous.RootElement.GetProperty("hidden").GetInt32(), anonymous.RootElement.GetProperty("loginUrl").GetString()));
        }

        foreach (var (user, password, listed) in new[] { ("alice", "wonderland", 1), ("bob", "builder", 0) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/streams") { Headers = { Authorization = Basic(user, password) } };
            using var response = await http.SendAsync(request, Token);
            using var list = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Token));
            Assert.Equal(listed, list.RootElement.GetProperty("streams").GetArrayLength());
            Assert.Equal(1 - listed, list.RootElement.GetProperty("hidden").GetInt32());
        }

        // /login asks the browser for a user, then sends it back to the page.
        using var challenge = await http.GetAsync("/login", Token);
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(host.HttpAddress) };
        using var login = new HttpRequestMessage(HttpMethod.Get, "/login") { Headers = { Authorization = Basic("alice", "wonderland") } };
        using var back = await noRedirects.SendAsync(login, Token);
        Assert.Equal((HttpStatusCode.Redirect, "/"), (back.StatusCode, back.Headers.Location!.OriginalString));
    }

    [Fact]
    public async Task Over_https_basic_is_accepted_without_being_listed_and_plain_http_is_not_served()
    {
        using var ca = new TestCertificates();
        var (certificate, key) = ca.Issue("edge");
        await using var host = await EdgeTestHost.StartAsync(true, null, [], [.. Users, $"Http:CertificatePath={certificate}", $"Http:KeyPath={key}"]);
        var address = new Uri(host.HttpAddress);
        Assert.Equal("https", address.Scheme);
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, server, _, _) => server is not null && server.Issuer == ca.Ca.Subject };
        using var https = new HttpClient(handler) { BaseAddress = address };

        using var request = new HttpRequestMessage(HttpMethod.Get, "/streams/movie.Mjpeg.jpg") { Headers = { Authorization = Basic("alice", "wonderland") } };
        using var alice = await https.SendAsync(request, Token);
        Assert.Equal(HttpStatusCode.OK, alice.StatusCode);
        using (var list = JsonDocument.Parse(await https.GetStringAsync("/api/streams", Token)))
        {
            Assert.Equal("/login", list.RootElement.GetProperty("loginUrl").GetString());
        }

        using var plain = new HttpClient { BaseAddress = new UriBuilder(address) { Scheme = "http" }.Uri };
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync("/api/streams", Token));
    }

    [Fact]
    public async Task Chromium_shows_an_anonymous_visitor_that_the_stream_needs_a_login()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, [], [.. Users, "Auth:Methods:0=basic"]);
        // The page says so once its list has come; on a busy machine the browser's virtual time may end first.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string dom;
        while (!(dom = Encoding.UTF8.GetString(await ExternalTool.RunAsync(
            "chromium",
            ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=2000", "--dump-dom", host.HttpAddress + "/"],
            timeout: TimeSpan.FromSeconds(60)))).Contains("needs a login", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the page never said a login is needed: {dom}");
        }

        Assert.Contains("1 stream needs a login: <a href=\"/login\">log in</a>", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("data-stream=", dom, StringComparison.Ordinal);
    }
}
