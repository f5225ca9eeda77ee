using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Auth;

/// <summary>Real players, as users run them, against an edge with users: they log in with Digest, or fail clearly.</summary>
public sealed class PlayerAuthenticationTests : IDisposable
{
    private static readonly string[] Users = ["Auth:Users:0:Name=alice", "Auth:Users:0:Password=wonder land"];
    private readonly string _dir = Directory.CreateTempSubdirectory("grpcstream-auth-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Ffmpeg_plays_with_credentials_in_the_url(string transport)
    {
        await using var host = await EdgeTestHost.StartAsync(true, Users);
        var output = Path.Combine(_dir, "ffmpeg.mjpeg");

        await ExternalTool.RunAsync("ffmpeg",
        [
            "-v", "error", "-rtsp_transport", transport, "-i", Authenticated(host, "alice:wonder%20land"), "-frames:v", "5", "-c:v", "copy", "-f", "mjpeg", "-y", output,
        ], timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(5, TestJpegs.SplitSimple(await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken)).Count);
    }

    [Fact]
    public async Task Ffmpeg_with_a_wrong_password_fails_on_401()
    {
        await using var host = await EdgeTestHost.StartAsync(true, Users);

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => ExternalTool.RunAsync("ffmpeg",
        [
            "-v", "error", "-rtsp_transport", "tcp", "-i", Authenticated(host, "alice:guess"), "-frames:v", "1", "-f", "null", "-",
        ], timeout: TimeSpan.FromSeconds(60)));

        Assert.Contains("401", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GStreamer_plays_with_user_id_and_user_pw()
    {
        await using var host = await EdgeTestHost.StartAsync(true, Users);

        await GStreamerPlayer.PlayAsync(host.Url(), _dir, 5, "user-id=alice", "user-pw=wonder land", "protocols=tcp");

        Assert.True(Directory.GetFiles(_dir, "gst*.jpg").Length >= 4);
    }

    private static string Authenticated(EdgeTestHost host, string credentials) =>
        host.Url().Replace("rtsp://", $"rtsp://{credentials}@", StringComparison.Ordinal);
}
