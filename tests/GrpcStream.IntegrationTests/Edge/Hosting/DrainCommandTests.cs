using GrpcStream.Edge.Hosting;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Hosting;

/// <summary><c>edge drain</c>, the subcommand a preStop hook runs, against a live edge's control port.</summary>
public class DrainCommandTests
{
    [Fact]
    public async Task Drain_wait_returns_once_the_deadline_has_closed_the_sessions()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var player = await HonestPlayer.StartAsync(host.Url());
        await player.WaitForMoreFramesAsync(2);
        var port = new Uri(host.Edge.ControlAddress()).Port;
        var output = new StringWriter();
        var error = new StringWriter();

        var exit = await DrainCommand.RunAsync(["--wait", "--deadline", "1s", $"--Edge:Control:Port={port}"], output, error, TestContext.Current.CancellationToken);

        Assert.True(exit == 0, error.ToString());
        Assert.Equal(["draining: 1 sessions left, closed after 1 s", "drained: no session left"], output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        await Eventually.HoldsAsync(() => host.Metrics.SessionsClosed("drained") == 1, "counted as drained"); // counted just after it leaves the registry
    }

    [Fact]
    public async Task Without_an_edge_or_with_a_bad_deadline_it_says_why_in_one_line()
    {
        var error = new StringWriter();
        var unreachable = await DrainCommand.RunAsync([$"--Edge:Control:Port={FreePorts.Tcp()}"], TextWriter.Null, error, TestContext.Current.CancellationToken);
        var badError = new StringWriter();
        var bad = await DrainCommand.RunAsync(["--deadline", "later"], TextWriter.Null, badError, TestContext.Current.CancellationToken);

        Assert.Equal((1, 2), (unreachable, bad));
        Assert.StartsWith("edge drain: the control API on port ", Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        Assert.Equal("edge drain: --deadline needs a duration such as 60s, 2m or 90", badError.ToString().Trim());
    }
}
