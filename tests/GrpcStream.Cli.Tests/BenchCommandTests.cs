using GrpcStream.Testing;

namespace GrpcStream.Cli.Tests;

public class BenchCommandTests
{
    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public async Task Bench_opens_the_sessions_and_reports_each_ones_reception(string transport)
    {
        await using var host = await EdgeTestHost.StartAsync();

        var (exit, run) = await CliRun.RunAsync("bench", host.Url(), "--sessions", "8", "--duration", "1", "-t", transport);

        Assert.True(exit == 0, run.Error);
        Assert.Contains("8 of 8 sessions playing", run.Out, StringComparison.Ordinal);
        Assert.Matches("frames per session: min [1-9][0-9]*, median", run.Out);
        Assert.Matches("first frame after PLAY \\(ms\\): min [0-9.]+, median [0-9.]+, p99 [0-9.]+, max [0-9.]+", run.Out);
        Assert.Contains("lost packets per session: min 0, median 0", run.Out, StringComparison.Ordinal);
        Assert.Matches("window: [1-9][0-9]* frames, [1-9][0-9]* packets in [0-9.]+ s \\([1-9][0-9.]* frames/s per session, [1-9][0-9]* packets/s\\)", run.Out);
    }

    [Fact]
    public async Task Bench_against_a_missing_stream_fails_with_the_status()
    {
        await using var host = await EdgeTestHost.StartAsync();

        var (exit, run) = await CliRun.RunAsync("bench", host.Url("nothing.mjpeg"), "--sessions", "3", "--duration", "1");

        Assert.Equal(ExitCodes.RtspError, exit);
        Assert.Contains("404 Not Found", run.Error, StringComparison.Ordinal);
    }
}
