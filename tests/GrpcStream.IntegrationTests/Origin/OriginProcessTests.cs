using Grpc.Net.Client;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Origin;

/// <summary>The origin as its own process, configured the ways the README says.</summary>
public class OriginProcessTests
{
    [Fact]
    public async Task Flags_configure_the_origin_and_it_plays_a_lab_file()
    {
        var media = Directory.CreateTempSubdirectory("grpcstream-it-").FullName;
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(6));
        await File.WriteAllBytesAsync(Path.Combine(media, "movie.Mjpeg"), TestJpegs.LengthPrefixed(frames), TestContext.Current.CancellationToken);
        int grpcPort = FreePorts.Tcp(), httpPort = FreePorts.Tcp();
        await using var origin = ServiceProcess.Start("Origin", ["--media-root", media, "--urls", $"http://127.0.0.1:{grpcPort}", "--http-port", httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--frame-rate", "50"]);
        await origin.WaitHealthyAsync($"http://127.0.0.1:{httpPort}/healthz");
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        var client = new MediaOrigin.MediaOriginClient(channel);

        var movie = Assert.Single((await client.ListStreamsAsync(new ListStreamsRequest())).Streams, s => s.Name == "movie.Mjpeg");
        using var call = client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });
        var received = new List<Frame>();
        while (received.Count < 10 && await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken))
        {
            received.Add(call.ResponseStream.Current);
        }

        Assert.Equal(SourceFormat.LengthPrefixed, movie.SourceFormat);
        Assert.Equal(50, movie.FrameRate);
        Assert.Equal(6u, movie.FrameCount);
        foreach (var frame in received)
        {
            Assert.Equal(frames[(int)(frame.Sequence % 6)], frame.Jpeg.ToByteArray());
            Assert.Equal(frame.Sequence * 1800, frame.Pts90Khz);
        }

        Assert.True(received[^1].Sequence > received[0].Sequence);
        Directory.Delete(media, recursive: true);
    }

    [Fact]
    public async Task Environment_variables_configure_the_origin_and_sigterm_stops_it_cleanly()
    {
        int grpcPort = FreePorts.Tcp(), httpPort = FreePorts.Tcp();
        await using var origin = ServiceProcess.Start("Origin", [], new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{grpcPort}",
            ["Origin__Http__Port"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Origin__Sample__Name"] = "pattern.mjpeg",
            ["Origin__Sample__FrameCount"] = "10",
        });
        await origin.WaitHealthyAsync($"http://127.0.0.1:{httpPort}/healthz");
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");

        var description = await new MediaOrigin.MediaOriginClient(channel).DescribeStreamAsync(new DescribeStreamRequest { Name = "pattern.mjpeg" });
        origin.Terminate();
        var exit = await origin.WaitForExitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(10u, description.FrameCount);
        Assert.Equal(0, exit);
    }

    [Fact]
    public async Task A_bad_media_root_stops_the_origin_with_one_line_and_exit_code_2()
    {
        await using var origin = ServiceProcess.Start("Origin", ["--media-root", "/no/such/place", "--urls", "http://127.0.0.1:0", "--http-port", "0"]);

        var exit = await origin.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exit);
        var line = Assert.Single(origin.Output);
        Assert.Equal("stderr: origin: invalid configuration: Origin:MediaRoot '/no/such/place' is not an existing directory", line);
    }
}
