using Grpc.Core;
using GrpcStream.Origin.Catalogue;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Origin.Tests.Catalogue;

/// <summary>Scans that meet a changing media root, lookups during scans, and lookups of names that do not exist.</summary>
public class StreamCatalogueTests
{
    [Fact]
    public async Task Entries_vanishing_mid_scan_never_stop_a_scan_or_the_host()
    {
        using var media = new TempMediaRoot();
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(2, 64, 48));
        media.Write("steady.mjpeg", [.. frames[0], .. frames[1]]);
        await using var origin = await OriginTestHost.StartAsync(media.Path, null, "Origin:RescanInterval=01:00:00");
        var catalogue = origin.App.Services.GetRequiredService<StreamCatalogue>();

        // Directories and files appear and disappear as fast as they can while the catalogue scans: each scan
        // meets entries listed and then gone, directories emptied between listing and reading, files cut short.
        using var stop = new CancellationTokenSource();
        var churn = Task.Run(() =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var dir = Path.Combine(media.Path, $"d{i % 4}");
                try
                {
                    Directory.CreateDirectory(dir);
                    File.WriteAllBytes(Path.Combine(dir, "a.jpg"), frames[0]);
                    File.WriteAllBytes(Path.Combine(media.Path, $"f{i % 4}.mjpeg"), frames[1]);
                    Directory.Delete(dir, recursive: true);
                    File.Delete(Path.Combine(media.Path, $"f{i % 4}.mjpeg"));
                }
                catch (IOException)
                {
                    // The churn races itself only through the scanner; nothing to do.
                }
            }
        });

        for (var scan = 0; scan < 200; scan++)
        {
            await catalogue.RefreshAsync(TestContext.Current.CancellationToken);
            Assert.True(catalogue.TryGet("steady.mjpeg", out _), $"scan {scan} lost a stream that did not change");
        }

        await stop.CancelAsync();
        await churn;
        var steady = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "steady.mjpeg" });
        Assert.Equal(2u, steady.FrameCount);
        Assert.DoesNotContain(origin.Log.Lines, l => l.Contains("Scanning the media root failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Lookups_are_answered_from_the_last_catalogue_while_a_long_scan_runs()
    {
        using var media = new TempMediaRoot();
        media.Write("small.mjpeg", await TestJpegs.FfmpegFramesAsync(2, 64, 48));
        await using var origin = await OriginTestHost.StartAsync(media.Path, null, "Origin:RescanInterval=01:00:00");
        var catalogue = origin.App.Services.GetRequiredService<StreamCatalogue>();

        // 4:4:4 frames must be decoded and encoded again to be carried as RFC 2435, and a scan converts the first
        // window of every new source before it ends: four such sources make a scan of seconds, not a race with one
        // lookup (a single source's window was converted within one lookup on a loaded CI machine).
        var slow = await TestJpegs.FfmpegFramesAsync(40, 1280, 720, "yuvj444p");
        for (var i = 0; i < 4; i++)
        {
            media.Write($"slow-{i}.mjpeg", slow);
        }

        var scan = catalogue.RefreshAsync(TestContext.Current.CancellationToken);
        var answeredDuringScan = 0;
        while (!scan.IsCompleted)
        {
            var small = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "small.mjpeg" });
            Assert.Equal(2u, small.FrameCount);
            answeredDuringScan += scan.IsCompleted ? 0 : 1;
        }

        await scan;
        Assert.True(answeredDuringScan > 0, "no lookup was answered while the scan ran");
        Assert.True(catalogue.TryGet("slow-3.mjpeg", out _));
    }

    [Fact]
    public async Task Misses_for_unknown_names_coalesce_into_at_most_one_scan_an_interval()
    {
        using var media = new TempMediaRoot();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var origin = await OriginTestHost.StartAsync(media.Path, time, "Origin:RescanInterval=00:00:05");
        var catalogue = origin.App.Services.GetRequiredService<StreamCatalogue>();
        var before = catalogue.ScansStarted;

        // The first miss brings a scan forward; a flood of misses in the same interval waits for the next one.
        var first = Describe(origin, "nothing-0.mjpeg");
        var firstError = await Assert.ThrowsAsync<RpcException>(() => first);
        Assert.Equal(StatusCode.NotFound, firstError.StatusCode);
        Assert.Equal(before + 1, catalogue.ScansStarted);

        var flood = Enumerable.Range(1, 50).Select(i => Describe(origin, $"nothing-{i}.mjpeg")).ToArray();
        await Eventually.HoldsAsync(() => catalogue.MissesWaiting == flood.Length, "every miss of the flood waits for a scan");
        Assert.True(catalogue.ScanWanted.IsCompleted);
        Assert.All(flood, f => Assert.False(f.IsCompleted));
        Assert.Equal(before + 1, catalogue.ScansStarted);

        time.Advance(TimeSpan.FromSeconds(5));
        foreach (var miss in flood)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => miss).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.Equal(StatusCode.NotFound, error.StatusCode);
        }

        await Eventually.HoldsAsync(() => catalogue.ScansStarted >= before + 2, "the interval's scan");
        Assert.InRange(catalogue.ScansStarted, before + 2, before + 3);
    }

    private static Task<StreamDescription> Describe(OriginTestHost origin, string name) =>
        origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = name }).ResponseAsync;
}
