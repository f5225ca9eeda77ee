using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Http;

/// <summary>
/// One address against the HTTP port: its connections and its viewers are capped before any work is done for them,
/// and a viewer from another address, watching all along, loses nothing. Anonymous answers name no stream.
/// </summary>
public class HttpLimitsTests
{
    private const string Attacker = "127.0.0.1";
    private const string Honest = "127.0.0.2";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task One_address_holding_its_most_connections_and_viewers_leaves_room_for_another_address()
    {
        await using var host = await EdgeTestHost.StartAsync(true, "Http:MaxConnectionsPerAddress=20", "Http:MaxViewersPerAddress=10", "Http:MaxViewers=12");
        var port = new Uri(host.HttpAddress).Port;
        await using var player = await HonestPlayer.StartAsync(host.Url());

        // The honest viewer from the other address is watching before the attack and all through it.
        using var honest = LocalHttp.From(Honest, host.HttpAddress);
        using var watching = await honest.GetAsync("/streams/movie.Mjpeg.mjpeg", HttpCompletionOption.ResponseHeadersRead, Token);
        Assert.Equal(HttpStatusCode.OK, watching.StatusCode);
        using var parts = new MjpegParts(await watching.Content.ReadAsStreamAsync(Token), GrpcStream.Edge.Http.MjpegTransport.Boundary);
        var sequences = new List<ulong> { (await parts.NextAsync(Token)).Sequence };

        // The attacker opens its 20 connections: 10 viewers, then 10 more that are refused as viewers (429)
        // before their credentials or stream are looked at.
        var sockets = new List<Socket>();
        try
        {
            var answers = new List<string>();
            for (var i = 0; i < 20; i++)
            {
                var socket = await ConnectAsync(Attacker, port);
                sockets.Add(socket);
                await socket.SendAsync(Encoding.ASCII.GetBytes("GET /streams/movie.Mjpeg.mjpeg HTTP/1.1\r\nHost: edge\r\n\r\n"), Token);
                answers.Add(await StatusLineAsync(socket));
            }

            Assert.Equal(10, answers.Count(a => a.StartsWith("HTTP/1.1 200", StringComparison.Ordinal)));
            Assert.Equal(10, answers.Count(a => a.StartsWith("HTTP/1.1 429", StringComparison.Ordinal)));
            Assert.Equal(10, host.Metrics.LimitHits("http_viewers_per_address"));

            // The 21st connection is closed before its request is read.
            Assert.True(await ClosedAsync(Attacker, port, "GET /healthz HTTP/1.1\r\nHost: edge\r\n\r\n"), "a connection over the address's cap is closed");
            Assert.Equal(1, host.Metrics.LimitHits("http_connections_per_address"));

            // The other address: a second viewer (the edge has 12 viewer places, the attacker 10 of them) and a snapshot.
            using var second = await honest.GetAsync("/streams/movie.Mjpeg.mjpeg", HttpCompletionOption.ResponseHeadersRead, Token);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            using var snapshot = await honest.GetAsync("/streams/movie.Mjpeg.jpg", Token);
            Assert.Equal("image/jpeg", snapshot.Content.Headers.ContentType!.MediaType);

            for (var i = 0; i < 30; i++)
            {
                sequences.Add((await parts.NextAsync(Token)).Sequence);
            }
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }

        // The honest viewer's frames kept coming, in order (an MJPEG viewer more than two frames behind skips by
        // design, so a busy machine may skip one), and the RTSP player alongside lost nothing.
        Assert.All(sequences.Zip(sequences.Skip(1)), pair => Assert.True(pair.Second > pair.First, $"{pair.Second} after {pair.First}"));
        await player.WaitForMoreFramesAsync(10);
        player.AssertLostNothing(host);
    }

    [Fact]
    public async Task Anonymous_health_answers_name_no_stream_and_a_metrics_user_or_the_edges_own_host_sees_them()
    {
        await using var host = await EdgeTestHost.StartAsync(
            true, null, [],
            "Auth:Methods:0=basic",
            "Auth:Users:0:Name=alice", "Auth:Users:0:Password=wonderland",
            "Auth:Users:1:Name=prometheus", "Auth:Users:1:Password=scrape", "Auth:Users:1:Permissions:0=metrics");

        // A stream is watched, so that there is one to name.
        using (var local = LocalHttp.From(Attacker, host.HttpAddress))
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/streams/movie.Mjpeg.jpg") { Headers = { Authorization = Basic("alice", "wonderland") } })
        {
            Assert.Equal(HttpStatusCode.OK, (await local.SendAsync(request, Token)).StatusCode);
        }

        using var remote = LocalHttp.From(Honest, host.HttpAddress);
        foreach (var path in new[] { "/healthz", "/healthz/ready", "/healthz/live" })
        {
            foreach (var credentials in new[] { null, Basic("alice", "wonderland"), Basic("prometheus", "wrong") })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = credentials } };
                using var response = await remote.SendAsync(request, Token);
                var body = await response.Content.ReadAsStringAsync(Token);
                Assert.DoesNotContain("movie.Mjpeg", body, StringComparison.Ordinal);
                Assert.DoesNotContain(host.OriginAddress, body, StringComparison.Ordinal);
                Assert.False(response.Headers.Contains("Server"));
                using var json = JsonDocument.Parse(body);
                Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("status").ValueKind);
                if (path != "/healthz/live")
                {
                    // The origin link's state is for anyone.
                    Assert.Equal("Connected", json.RootElement.GetProperty("checks").GetProperty("origin-link").GetProperty("data").GetProperty("originLink").GetString());
                }
            }
        }

        // The metrics user from anywhere, and anyone on the edge's own host, see which streams come from where.
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/healthz") { Headers = { Authorization = Basic("prometheus", "scrape") } })
        {
            Assert.Contains("movie.Mjpeg", await (await remote.SendAsync(request, Token)).Content.ReadAsStringAsync(Token), StringComparison.Ordinal);
        }

        using var own = LocalHttp.From(Attacker, host.HttpAddress);
        Assert.Contains("movie.Mjpeg", await own.GetStringAsync("/healthz", Token), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_metrics_user_metrics_are_answered_on_the_edges_own_host_only()
    {
        await using var host = await EdgeTestHost.StartAsync(true, "Auth:Users:0:Name=alice", "Auth:Users:0:Password=wonderland");
        using var remote = LocalHttp.From(Honest, host.HttpAddress);
        using var own = LocalHttp.From(Attacker, host.HttpAddress);
        Assert.Equal(HttpStatusCode.Forbidden, (await remote.GetAsync("/metrics", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await own.GetAsync("/metrics", Token)).StatusCode);
    }

    private static System.Net.Http.Headers.AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private static async Task<Socket> ConnectAsync(string from, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Token);
        return socket;
    }

    // The status line and headers of a response, read byte by byte up to the blank line (within 10 s).
    private static async Task<string> StatusLineAsync(Socket socket)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.Equal(1, await socket.ReceiveAsync(one, deadline.Token));
            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    // True when the server closes (or resets) the connection within 10 s without answering.
    /// <summary>
    /// Connects from <paramref name="from"/> and sends <paramref name="request"/>; true when the edge closes the
    /// connection. It may do so before the request arrives, or as the connection is made, so that sending or even
    /// connecting meets a reset.
    /// </summary>
    private static async Task<bool> ClosedAsync(string from, int port, string request)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            using var socket = await ConnectAsync(from, port);
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), deadline.Token);
            return await socket.ReceiveAsync(new byte[256], deadline.Token) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
