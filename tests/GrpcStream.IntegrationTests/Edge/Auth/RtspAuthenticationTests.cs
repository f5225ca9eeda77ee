using System.Text;
using GrpcStream.Rtsp.Client;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Auth;

/// <summary>RTSP users on a real edge: Digest with SHA-256 and MD5, Basic only where allowed, 401, 403 and 400.</summary>
public class RtspAuthenticationTests
{
    private static readonly string[] Users =
    [
        "Auth:Users:0:Name=alice", "Auth:Users:0:Password=wonderland",
        "Auth:Users:1:Name=cam", "Auth:Users:1:Password=lens", "Auth:Users:1:Streams=cam*,lab*",
        "Auth:Users:2:Name=nobody", "Auth:Users:2:Password=nothing", "Auth:Users:2:Streams=",
        "Auth:Users:3:Name=remote", "Auth:Users:3:Password=far", "Auth:Users:3:Addresses:0=10.0.0.0/8", "Auth:Users:3:Addresses:1=192.0.2.7",
    ];

    [Fact]
    public async Task The_projects_client_logs_in_with_sha_256_and_plays()
    {
        await using var host = await EdgeTestHost.StartAsync(true, Users);
        var url = host.Url().Replace("rtsp://", "rtsp://alice:wonderland@", StringComparison.Ordinal);
        await using var client = new RtspPlayer(url, new RtspPlayerOptions { Transport = RtspTransport.Tcp });
        var sent = new List<string>();
        client.Connection.Traffic += text => { lock (sent) { sent.Add(text); } };

        await client.PlayAsync(TestContext.Current.CancellationToken);
        await using var frames = client.ReadFramesAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        Assert.True(await frames.MoveNextAsync());

        lock (sent)
        {
            Assert.Contains(sent, t => t.StartsWith("RTSP/1.0 401", StringComparison.Ordinal) && t.Contains("algorithm=SHA-256", StringComparison.Ordinal) && t.Contains("algorithm=MD5", StringComparison.Ordinal));
            Assert.Contains(sent, t => t.StartsWith("PLAY ", StringComparison.Ordinal) && t.Contains("Authorization: Digest username=\"alice\"", StringComparison.Ordinal) && t.Contains("algorithm=SHA-256", StringComparison.Ordinal));
            Assert.DoesNotContain(sent, t => t.Contains("WWW-Authenticate: Basic", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Md5_digest_as_players_send_it_is_accepted_with_and_without_qop_and_a_replay_is_not()
    {
        await using var host = await EdgeTestHost.StartAsync(true, Users);
        await using var rtsp = await RtspTestClient.ConnectAsync(host.RtspPort);
        var url = host.Url();
        var challenge = await rtsp.RequestAsync("DESCRIBE", url);
        Assert.Equal(401, challenge.StatusCode);
        var md5 = Challenge(challenge, "MD5");

        // live555 and GStreamer: no qop, the nonce used again.
        Assert.Equal(200, (await rtsp.RequestAsync("DESCRIBE", url, ("Authorization", Digest("MD5", md5, "alice", "wonderland", "DESCRIBE", url)))).StatusCode);
        Assert.Equal(200, (await rtsp.RequestAsync("DESCRIBE", url, ("Authorization", Digest("MD5", md5, "alice", "wonderland", "DESCRIBE", url)))).StatusCode);

        // With qop the count must go up: the same answer twice is a replay.
        var counted = Digest("MD5", md5, "alice", "wonderland", "DESCRIBE", url, count: 1);
        Assert.Equal(200, (await rtsp.RequestAsync("DESCRIBE", url, ("Authorization", counted))).StatusCode);
        Assert.Equal(401, (await rtsp.RequestAsync("DESCRIBE", url, ("Authorization", counted))).StatusCode);
        Assert.Equal(200, (await rtsp.RequestAsync("DESCRIBE", url, ("Authorization", Digest("MD5", md5, "alice", "wonderland", "DESCRIBE", url, count: 2)))).StatusCode);
    }

    [Fact]
    public async Task Wrong_passwords_get_401_counted_delayed_and_logged_without_the_password()
    {
        await using var host = await EdgeTestHost.StartAsync(true, Users);
        var url = host.Url().Replace("rtsp://", "rtsp://alice:guess@", StringComparison.Ordinal);
        await using var client = new RtspPlayer(url, new RtspPlayerOptions { Transport = RtspTransport.Tcp });

        var refused = await Assert.ThrowsAsync<RtspStatusException>(() => client.DescribeAsync(TestContext.Current.CancellationToken));

        Assert.Equal(401, refused.StatusCode);
        await Eventually.HoldsAsync(() => host.Metrics.AuthFailures(401) >= 1, "the failure counted");
        Assert.Contains(host.Log.Lines, l => l.Contains("Authentication failed", StringComparison.Ordinal) && l.Contains("user 'alice'", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Log.Lines, l => l.Contains("guess", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_user_without_a_streams_permission_or_from_elsewhere_gets_403_and_an_empty_list_allows_nothing()
    {
        await using var host = await EdgeTestHost.StartAsync(true, Users);

        var cam = await Assert.ThrowsAsync<RtspStatusException>(() => DescribeAsUser(host, "cam:lens"));
        var nobody = await Assert.ThrowsAsync<RtspStatusException>(() => DescribeAsUser(host, "nobody:nothing"));
        var remote = await Assert.ThrowsAsync<RtspStatusException>(() => DescribeAsUser(host, "remote:far"));

        Assert.Equal((403, 403, 403), (cam.StatusCode, nobody.StatusCode, remote.StatusCode));
        await Eventually.HoldsAsync(() => host.Metrics.AuthFailures(403) >= 3, "the refusals counted");
        Assert.Contains(host.Log.Lines, l => l.Contains("user 'remote' may not connect from 127.0.0.1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Basic_is_refused_over_plain_rtsp_unless_listed_and_a_comma_list_enables_it()
    {
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:wonderland"));
        await using (var host = await EdgeTestHost.StartAsync(true, Users))
        {
            await using var rtsp = await RtspTestClient.ConnectAsync(host.RtspPort);
            var refused = await rtsp.RequestAsync("DESCRIBE", host.Url(), ("Authorization", basic));
            Assert.Equal(401, refused.StatusCode);
            Assert.DoesNotContain(refused.GetHeaders("WWW-Authenticate"), h => h.StartsWith("Basic", StringComparison.Ordinal));
        }

        await using (var host = await EdgeTestHost.StartAsync(true, [.. Users, "Auth:Methods=digest,basic"]))
        {
            await using var rtsp = await RtspTestClient.ConnectAsync(host.RtspPort);
            var challenge = await rtsp.RequestAsync("DESCRIBE", host.Url());
            Assert.Contains(challenge.GetHeaders("WWW-Authenticate"), h => h.StartsWith("Basic realm=", StringComparison.Ordinal));
            Assert.Equal(200, (await rtsp.RequestAsync("DESCRIBE", host.Url(), ("Authorization", basic))).StatusCode);
        }
    }

    [Theory]
    [InlineData("Digest")]
    [InlineData("Digest username=\"alice")]
    [InlineData("Basic !!!!")]
    [InlineData("Digest username=alice, username=bob, realm=x, nonce=y, uri=z, response=w")]
    [InlineData("LONG")]
    public async Task Malformed_or_oversized_authorization_gets_400_or_401_never_500(string header)
    {
        await using var host = await EdgeTestHost.StartAsync(true, [.. Users, "Auth:Methods=digest,basic"]);
        await using var rtsp = await RtspTestClient.ConnectAsync(host.RtspPort);
        var value = header == "LONG" ? "Digest username=\"" + new string('a', 8000) + "\"" : header;

        var response = await rtsp.RequestAsync("DESCRIBE", host.Url(), ("Authorization", value));

        Assert.Contains(response.StatusCode, new[] { 400, 401 });
        Assert.Equal(200, (await rtsp.RequestAsync("OPTIONS", host.Url())).StatusCode); // the connection lives on
    }

    private static async Task DescribeAsUser(EdgeTestHost host, string credentials)
    {
        await using var client = new RtspPlayer(host.Url().Replace("rtsp://", $"rtsp://{credentials}@", StringComparison.Ordinal), new RtspPlayerOptions { Transport = RtspTransport.Tcp });
        await client.DescribeAsync(TestContext.Current.CancellationToken);
    }

    private static AuthHeader Challenge(RtspMessage response, string algorithm) =>
        response.GetHeaders("WWW-Authenticate").Select(h => AuthHeader.TryParse(h, out var parsed) ? parsed : null)
            .Single(h => h is not null && h.IsScheme("Digest") && h["algorithm"] == algorithm)!;

    /// <summary>A Digest answer computed here, independently of the client library.</summary>
    private static string Digest(string algorithm, AuthHeader challenge, string user, string password, string method, string uri, int? count = null)
    {
        var realm = challenge["realm"]!;
        var nonce = challenge["nonce"]!;
        var ha1 = DigestHash.Hex(algorithm, $"{user}:{realm}:{password}");
        var ha2 = DigestHash.Hex(algorithm, $"{method}:{uri}");
        if (count is not { } n)
        {
            return $"Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{DigestHash.Hex(algorithm, $"{ha1}:{nonce}:{ha2}")}\"";
        }

        var nc = n.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        const string cnonce = "0a4f113b";
        var response = DigestHash.Hex(algorithm, $"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}");
        return $"Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", qop=auth, nc={nc}, cnonce=\"{cnonce}\", response=\"{response}\", algorithm={algorithm}";
    }
}
