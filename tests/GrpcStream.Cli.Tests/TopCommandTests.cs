using GrpcStream.Edge.Hosting;
using GrpcStream.Rtsp.Client;
using GrpcStream.Testing;
using GrpcStream.Cli.Output;

namespace GrpcStream.Cli.Tests;

/// <summary><c>grpcstream top</c> against a live edge: plain blocks when not on a terminal, a live table when on one.</summary>
public class TopCommandTests
{
    [Fact]
    public async Task Piped_it_prints_blocks_of_aligned_lines_with_bitrates_from_the_second_refresh_on()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var tcp = await HonestPlayer.StartAsync(host.Url());
        await using var udp = await HonestPlayer.StartAsync(host.Url(), RtspTransport.Udp);
        await tcp.WaitForMoreFramesAsync(2);

        var (exit, run) = await CliRun.RunAsync("top", "--edge", host.Edge.ControlAddress(), "--count", "2", "--interval", "500ms");

        Assert.True(exit == 0, run.Error);
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var headers = lines.Select((l, i) => (l, i)).Where(p => p.l.StartsWith("edge ", StringComparison.Ordinal)).Select(p => p.i).ToArray();
        Assert.Equal(2, headers.Length);
        var first = lines[headers[0]..headers[1]];
        var last = lines[headers[1]..];
        Assert.Matches(@"^edge http://127\.0\.0\.1:\d+  origin link connected  sessions 2  connections 2  \d\d:\d\d:\d\d$", last[0]);
        Assert.Matches(@"^STREAM +SESSIONS +FPS +BITRATE +ORIGIN LINK +LAST FRAME$", last[1]);
        Assert.Matches(@"^movie\.Mjpeg +tcp=1 udp=1 +\d+\.\d +\d+(\.\d)? [kM]bit/s +receiving from http://127\.0\.0\.1:\d+ +\d+ ms ago$", last[2]);
        Assert.Matches(@"^ID +STREAM +TRANSPORT +CLIENT +STATE +BITRATE +FRAMES +DROPPED +LOSS +JITTER$", last[3]);
        Assert.Equal(2, last.Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\d+ +movie\.Mjpeg +(tcp|udp) +127\.0\.0\.1:\d+ +playing +\d+(\.\d)? [kM]bit/s ")));
        Assert.Contains(first, l => l.Contains(" ... ", StringComparison.Ordinal)); // no rate before a second look
    }

    [Fact]
    public async Task On_a_terminal_it_draws_a_live_table()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var player = await HonestPlayer.StartAsync(host.Url());
        await player.WaitForMoreFramesAsync(2);
        var output = new StringWriter();
        var console = new CliConsole(TextReader.Null, output, TextWriter.Null, IsInteractive: true);

        var exit = await CliApp.RunAsync(["top", "--edge", host.Edge.ControlAddress(), "--count", "2", "--interval", "200ms"], console, TestContext.Current.CancellationToken);

        Assert.Equal(0, exit);
        var drawn = output.ToString();
        Assert.Contains("movie.Mjpeg", drawn, StringComparison.Ordinal);
        Assert.Contains("ORIGIN LINK", drawn, StringComparison.Ordinal);
        Assert.Matches(@"\d+(\.\d)? [kM]bit/s", drawn);
    }
}
