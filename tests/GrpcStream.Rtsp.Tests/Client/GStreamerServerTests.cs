using GrpcStream.Rtsp.Client;
using GrpcStream.Testing;

namespace GrpcStream.Rtsp.Tests.Client;

/// <summary>Our client against a server nobody here wrote: GStreamer's RTSP server (gst-rtsp-server through python3-gi).</summary>
public sealed class GStreamerServerTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("grpcstream-gstserver-").FullName;
    private readonly List<GStreamerRtspServer> _servers = [];
    private readonly List<byte[]> _decoded = [];

    public async ValueTask InitializeAsync()
    {
        for (var i = 0; i < 5; i++)
        {
            var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(320, 240, seed: i * 50));
            await File.WriteAllBytesAsync(Path.Combine(_dir, $"frame{i}.jpg"), jpeg);
            _decoded.Add(await TestJpegs.DecodeAsync(jpeg));
        }
    }

    public ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            server.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
        return ValueTask.CompletedTask;
    }

    [Theory]
    [InlineData(RtspTransport.Udp)]
    [InlineData(RtspTransport.Tcp)]
    public async Task Plays_a_gstreamer_stream_and_the_frames_decode(RtspTransport transport)
    {
        var url = await StartServerAsync();
        await using var client = new RtspPlayer(url, new RtspPlayerOptions { Transport = transport });

        await client.Connection.OptionsAsync(TestContext.Current.CancellationToken);
        var description = await client.DescribeAsync(TestContext.Current.CancellationToken);
        await client.SetupAsync(TestContext.Current.CancellationToken);
        Assert.Equal(RtspClientState.Ready, client.State);
        await client.PlayAsync(TestContext.Current.CancellationToken);
        Assert.Equal(RtspClientState.Playing, client.State);
        var frames = await TakeAsync(client, 10);
        await client.TeardownAsync(TestContext.Current.CancellationToken);

        Assert.Contains("GET_PARAMETER", client.Connection.ServerMethods);
        Assert.Single(description.Media);
        Assert.Equal(RtspClientState.Init, client.State);
        foreach (var frame in frames)
        {
            var decoded = await TestJpegs.DecodeAsync(frame.Jpeg);
            Assert.Contains(_decoded, d => d.AsSpan().SequenceEqual(decoded));
        }

        var stats = client.GetStatistics();
        Assert.True(stats.Frames >= 10);
        Assert.Equal(0, stats.LostPackets);
        Assert.NotNull(stats.FirstFrameAfterPlay);
    }

    [Theory]
    [InlineData("basic")]
    [InlineData("digest")]
    public async Task Answers_an_authentication_challenge(string method)
    {
        var url = await StartServerAsync(method, "viewer", "s3cret");
        var withCredentials = url.Replace("rtsp://", "rtsp://viewer:s3cret@", StringComparison.Ordinal);
        var withWrongPassword = url.Replace("rtsp://", "rtsp://viewer:wrong@", StringComparison.Ordinal);

        await using (var client = new RtspPlayer(withCredentials, new RtspPlayerOptions { Transport = RtspTransport.Tcp }))
        {
            await client.PlayAsync(TestContext.Current.CancellationToken);
            Assert.NotEmpty(await TakeAsync(client, 3));
        }

        await using var refused = new RtspPlayer(withWrongPassword);
        var error = await Assert.ThrowsAsync<RtspStatusException>(() => refused.DescribeAsync(TestContext.Current.CancellationToken));
        Assert.Equal(401, error.StatusCode);
    }

    private static async Task<List<ReceivedFrame>> TakeAsync(RtspPlayer client, int count)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var frames = new List<ReceivedFrame>();
        await foreach (var frame in client.ReadFramesAsync(timeout.Token))
        {
            frames.Add(frame);
            if (frames.Count == count)
            {
                break;
            }
        }

        return frames;
    }

    private async Task<string> StartServerAsync(params string[] auth)
    {
        var server = await GStreamerRtspServer.StartAsync(Path.Combine(_dir, "frame%d.jpg"), auth);
        _servers.Add(server);
        return server.Url;
    }
}
