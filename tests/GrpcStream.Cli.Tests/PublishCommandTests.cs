using System.Text.Json;
using GrpcStream.Testing;
using GrpcStream.Cli.Commands;

namespace GrpcStream.Cli.Tests;

/// <summary><c>grpcstream publish</c> into a real origin over gRPC, played through a real edge by real players.</summary>
public sealed class PublishCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("grpcstream-publish-").FullName;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Distinct 4:2:0 baseline frames (carriable as they are) in a folder, and each one's pixels.</summary>
    private async Task<(string Folder, byte[][] Pixels)> SourceAsync(int count)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "source")).FullName;
        var pixels = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(160, 120, seed: i * 53));
            await File.WriteAllBytesAsync(Path.Combine(folder, $"frame{i:D2}.jpg"), jpeg, Token);
            pixels[i] = await TestJpegs.DecodeAsync(jpeg);
        }

        return (folder, pixels);
    }

    // The edge's list comes from the origin's.
    private static async Task ListedAsync(EdgeTestHost host, string name)
    {
        using var http = new HttpClient { BaseAddress = new Uri(host.HttpAddress) };
        await Eventually.HoldsAsync(
            async () =>
            {
                using var list = JsonDocument.Parse(await http.GetStringAsync("/api/streams", Token));
                return list.RootElement.GetProperty("streams").EnumerateArray().Any(s => s.GetProperty("name").GetString() == name);
            },
            $"{name} is published");
    }

    [Theory]
    [InlineData("tcp", "grpc")]
    [InlineData("udp", "grpc")]
    [InlineData("tcp", "rtsp")]
    public async Task A_folder_published_over_grpc_or_rtsp_plays_through_the_edge_in_ffmpeg_pixel_for_pixel_and_in_order(string transport, string via)
    {
        var (folder, pixels) = await SourceAsync(3);
        await using var host = await EdgeTestHost.StartAsync();
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(Token);
        using var publisher = new CliRun();
        string[] target = via == "rtsp" ? [host.Url("live/cam1")] : ["live/cam1", "--origin", host.OriginAddress];
        var publishing = publisher.StartAsync(interrupt.Token, ["publish", folder, .. target, "--fps", "10", "--loop"]);
        await ListedAsync(host, "live/cam1");

        var played = await ExternalTool.RunAsync(
            "ffmpeg",
            ["-v", "error", "-rtsp_transport", transport, "-i", host.Url("live/cam1"), "-frames:v", "9", "-c", "copy", "-f", "mjpeg", "-"],
            timeout: TimeSpan.FromSeconds(60));

        // Each frame ffmpeg got is one of the source's, and they come in the source's order, looping.
        var indices = await TestJpegs.IdentifyAsync(TestJpegs.SplitSimple(played), pixels);
        Assert.Equal(9, indices.Count);
        Assert.All(indices.Zip(indices.Skip(1)), pair => Assert.Equal((pair.First + 1) % 3, pair.Second));

        await interrupt.CancelAsync();
        Assert.Equal(ExitCodes.Success, await publishing.WaitAsync(TimeSpan.FromSeconds(30), Token));
        Assert.Matches(via == "rtsp" ? @"^published \d+ frames to rtsp://127\.0\.0\.1:\d+/live/cam1$" : @"^published \d+ frames to live/cam1 \(sequences \d+\.\.\d+\)$", publisher.Out.Trim());
    }

    [Fact]
    public async Task A_second_publisher_a_bad_name_a_bad_source_and_an_absent_origin_each_get_one_line_and_an_exit_code()
    {
        var (folder, _) = await SourceAsync(2);
        await using var host = await EdgeTestHost.StartAsync();
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(Token);
        using var first = new CliRun();
        var publishing = first.StartAsync(interrupt.Token, "publish", folder, "live/door", "--origin", host.OriginAddress, "--loop");
        await ListedAsync(host, "live/door");

        var (secondExit, second) = await CliRun.RunAsync("publish", folder, "live/door", "--origin", host.OriginAddress);
        var (nameExit, badName) = await CliRun.RunAsync("publish", folder, "door", "--origin", host.OriginAddress);
        var notMedia = Path.Combine(_dir, "notes.txt");
        await File.WriteAllTextAsync(notMedia, "not frames", Token);
        var (sourceExit, badSource) = await CliRun.RunAsync("publish", notMedia, "live/notes", "--origin", host.OriginAddress);
        var (absentExit, absent) = await CliRun.RunAsync("publish", folder, "live/door", "--origin", $"http://127.0.0.1:{FreePorts.Tcp()}");

        Assert.Equal((ExitCodes.Failure, ExitCodes.Failure, ExitCodes.Usage, ExitCodes.ConnectionFailed), (secondExit, nameExit, sourceExit, absentExit));
        Assert.Equal("grpcstream: live/door already has a publisher: Stream 'live/door' already has a publisher; a new one may publish it once that one is gone.", second.Error.Trim());
        Assert.StartsWith("grpcstream: the origin ended the stream: InvalidArgument: Invalid name 'door' to publish: published streams are named under 'live/'", badName.Error.Trim(), StringComparison.Ordinal);
        Assert.Equal($"grpcstream: {notMedia} is not a stream: neither JPEG images back to back nor the length-prefixed format", badSource.Error.Trim());
        Assert.StartsWith("grpcstream: cannot reach the origin:", absent.Error.Trim(), StringComparison.Ordinal);
        Assert.All([second.Error, badName.Error, badSource.Error, absent.Error], e => Assert.Single(e.Trim().Split('\n')));

        await interrupt.CancelAsync();
        Assert.Equal(ExitCodes.Success, await publishing.WaitAsync(TimeSpan.FromSeconds(30), Token));
    }
}
