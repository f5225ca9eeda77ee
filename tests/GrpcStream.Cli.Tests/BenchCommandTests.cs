using GrpcStream.Testing;
using GrpcStream.Cli.Commands;

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
        Assert.Matches("8 of 8 sessions playing after [0-9.]+ s \\(set up in [0-9.]+ s, then played at once\\)", run.Out);
        Assert.Matches("frames per session: min [1-9][0-9]*, median", run.Out);
        Assert.Matches("first frame after PLAY \\(ms\\): min [0-9.]+, median [0-9.]+, p99 [0-9.]+, max [0-9.]+", run.Out);
        Assert.Contains("lost packets per session: min 0, median 0", run.Out, StringComparison.Ordinal);
        Assert.Matches("window: [1-9][0-9]* frames, [1-9][0-9]* packets in [0-9.]+ s \\([1-9][0-9.]* frames/s per session, [1-9][0-9]* packets/s\\)", run.Out);
    }

    [Fact]
    public async Task Given_the_servers_process_it_reports_the_servers_cpu_per_packet_beside_its_own()
    {
        var dir = Directory.CreateTempSubdirectory("grpcstream-bench-").FullName;
        try
        {
            for (var i = 0; i < 3; i++)
            {
                await File.WriteAllBytesAsync(Path.Combine(dir, $"frame{i}.jpg"), await TestJpegs.CjpegAsync(TestJpegs.Ppm(160, 120, seed: i * 70)), TestContext.Current.CancellationToken);
            }

            using var server = await GStreamerRtspServer.StartAsync(Path.Combine(dir, "frame%d.jpg"));
            var (exit, run) = await CliRun.RunAsync("bench", server.Url, "--sessions", "4", "--duration", "1", "--server-pid", server.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var (missingExit, missing) = await CliRun.RunAsync("bench", server.Url, "--server-pid", int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture));

            Assert.True(exit == 0, run.Error);
            Assert.Matches(@"\nbench cpu: \d+\.\d\d s in \d+\.\d\d s \(\d+% of a core\), \d+\.\d\d µs per packet\n", run.Out);
            Assert.Matches(@"\nserver cpu: \d+\.\d\d s in \d+\.\d\d s \(\d+% of a core\), \d+\.\d\d µs per packet\n", run.Out);
            Assert.Matches(@"\nbench gen-0 collections: \d+ in \d+\.\d\d s\n", run.Out);
            Assert.Equal((ExitCodes.Usage, $"grpcstream: --server-pid {int.MaxValue}: no such process to measure (/proc/{int.MaxValue}/stat)"), (missingExit, missing.Error.Trim()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Cpu_is_reported_as_a_share_of_a_core_and_per_delivered_packet()
    {
        var report = Commands.BenchCommand.CpuReport(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1), 100_000, TimeSpan.FromSeconds(2));

        Assert.Equal(
            "bench cpu: 0.50 s in 2.00 s (25% of a core), 5.00 µs per packet\nserver cpu: 1.00 s in 2.00 s (50% of a core), 10.00 µs per packet\n",
            report.ReplaceLineEndings("\n"));
        Assert.NotNull(Output.ProcessCpu.Read(Environment.ProcessId));
        Assert.Null(Output.ProcessCpu.Read(int.MaxValue));
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
