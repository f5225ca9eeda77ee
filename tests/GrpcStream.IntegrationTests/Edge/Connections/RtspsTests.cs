using System.Text;
using GrpcStream.Edge.Hosting;
using GrpcStream.Rtsp.Client;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Connections;

/// <summary>RTSP over TLS with real handshakes: real players, the project's client, UDP refused, certificates renewed in place.</summary>
public sealed class RtspsTests : IDisposable
{
    private readonly TestCertificates _certificates = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("grpcstream-rtsps-").FullName;

    public void Dispose()
    {
        _certificates.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<EdgeTestHost> StartAsync(params string[] more)
    {
        var (certificate, key) = _certificates.Issue("rtsps");
        return await EdgeTestHost.StartAsync(true, ["Rtsps:Port=0", $"Rtsps:CertificatePath={certificate}", $"Rtsps:KeyPath={key}", .. more]);
    }

    private static string Url(EdgeTestHost host, string stream = "movie.Mjpeg") => $"rtsps://127.0.0.1:{host.Edge.RtspsPort()}/{stream}";

    [Fact]
    public async Task Ffmpeg_and_gstreamer_play_over_rtsps()
    {
        await using var host = await StartAsync();
        var output = Path.Combine(_dir, "ffmpeg.mjpeg");

        await ExternalTool.RunAsync("ffmpeg",
            ["-v", "error", "-rtsp_transport", "tcp", "-i", Url(host), "-frames:v", "5", "-c:v", "copy", "-f", "mjpeg", "-y", output],
            timeout: TimeSpan.FromSeconds(60));
        await GStreamerPlayer.PlayAsync(Url(host), _dir, 5, "tls-validation-flags=0", "protocols=tcp");

        Assert.Equal(5, TestJpegs.SplitSimple(await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken)).Count);
        Assert.True(Directory.GetFiles(_dir, "gst*.jpg").Length >= 4);
    }

    [Fact]
    public async Task The_client_trusts_a_private_ca_when_told_and_refuses_otherwise()
    {
        await using var host = await StartAsync();

        await using (var trusting = new RtspPlayer(Url(host), new RtspPlayerOptions { TlsCaPath = _certificates.CaPath }))
        {
            await trusting.PlayAsync(TestContext.Current.CancellationToken);
            await using var frames = trusting.ReadFramesAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
            Assert.True(await frames.MoveNextAsync());
        }

        await using var doubting = new RtspPlayer(Url(host));
        // A typed failure, which the CLI turns into its hint (--ca, --insecure): the library names no flag.
        var refused = await Assert.ThrowsAsync<RtspTlsException>(() => doubting.DescribeAsync(TestContext.Current.CancellationToken));
        Assert.StartsWith("TLS with 127.0.0.1:", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("--ca", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Udp_over_rtsps_is_461_unless_allowed_and_basic_is_offered_over_tls()
    {
        await using var host = await StartAsync("Auth:Users:0:Name=alice", "Auth:Users:0:Password=wonderland");
        await using var rtsp = await RtspTestClient.ConnectTlsAsync(host.Edge.RtspsPort());
        var basic = ("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:wonderland")));

        var challenge = await rtsp.RequestAsync("DESCRIBE", Url(host));
        var udp = await rtsp.RequestAsync("SETUP", Url(host) + "/track1", basic, ("Transport", "RTP/AVP;unicast;client_port=40000-40001"));
        var tcp = await rtsp.RequestAsync("SETUP", Url(host) + "/track1", basic, ("Transport", "RTP/AVP;unicast;client_port=40000-40001,RTP/AVP/TCP;unicast;interleaved=0-1"));

        Assert.Contains(challenge.GetHeaders("WWW-Authenticate"), h => h.StartsWith("Basic realm=", StringComparison.Ordinal));
        Assert.Equal(461, udp.StatusCode);
        Assert.Equal(200, tcp.StatusCode);
        Assert.Contains("interleaved=0-1", tcp.GetHeader("Transport"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_renewed_certificate_is_served_to_new_connections_and_a_playing_session_plays_on()
    {
        await using var host = await StartAsync();
        await using var player = await HonestPlayer.StartAsync(Url(host), new RtspPlayerOptions { TlsCaPath = _certificates.CaPath });
        await using (var before = await RtspTestClient.ConnectTlsAsync(host.Edge.RtspsPort()))
        {
            Assert.Contains("CN=rtsps", before.ServerCertificate!.Subject, StringComparison.Ordinal);
        }

        _certificates.Issue("rtsps", commonName: "renewed");
        await Eventually.HoldsAsync(
            async () =>
            {
                await using var after = await RtspTestClient.ConnectTlsAsync(host.Edge.RtspsPort());
                return after.ServerCertificate!.Subject.Contains("CN=renewed", StringComparison.Ordinal);
            },
            "the renewed certificate served");
        await player.WaitForMoreFramesAsync(10);
        player.AssertLostNothing();
    }
}
