using System.Text.Json;
using GrpcStream.Edge.Hosting;
using GrpcStream.Testing;

namespace GrpcStream.Cli.Tests;

/// <summary><c>grpcstream sessions</c> and <c>grpcstream edge</c> against a live edge's control API.</summary>
public class EdgeControlCommandTests
{
    [Fact]
    public async Task Sessions_are_listed_as_a_table_and_as_json_and_kicked()
    {
        await using var host = await EdgeTestHost.StartAsync();
        var edge = host.Edge.ControlAddress();
        await using var player = await HonestPlayer.StartAsync(host.Url());
        await player.WaitForMoreFramesAsync(2);

        var (tableExit, table) = await CliRun.RunAsync("sessions", "list", "--edge", edge);
        var (jsonExit, json) = await CliRun.RunAsync("sessions", "list", "--edge", edge, "--json");

        Assert.True((tableExit, jsonExit) == (0, 0), table.Error + json.Error);
        var lines = table.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^ID +STREAM +TRANSPORT +CLIENT +STATE +SINCE +FRAMES +DROPPED +LOSS$", lines[0]);
        Assert.Equal(lines[0].IndexOf("STREAM", StringComparison.Ordinal), lines[1].IndexOf("movie.Mjpeg", StringComparison.Ordinal));
        var session = Assert.Single(JsonDocument.Parse(json.Out).RootElement.GetProperty("sessions").EnumerateArray());
        Assert.Equal(("tcp", "127.0.0.1", "playing"), (session.GetProperty("transport").GetString(), session.GetProperty("clientAddress").GetString(), session.GetProperty("state").GetString()));
        var id = session.GetProperty("id").GetString()!;

        var (kickExit, kick) = await CliRun.RunAsync("sessions", "kick", id, "--edge", edge, "--reason", "cli test");
        var (_, after) = await CliRun.RunAsync("sessions", "list", "--edge", edge, "--json");

        Assert.Equal(0, kickExit);
        Assert.Equal($"session {id} kicked", kick.Out.Trim());
        Assert.False(JsonDocument.Parse(after.Out).RootElement.TryGetProperty("sessions", out _));
    }

    [Fact]
    public async Task Drain_waits_for_the_deadline_and_undrain_takes_sessions_again()
    {
        await using var host = await EdgeTestHost.StartAsync();
        var edge = host.Edge.ControlAddress();
        await using var player = await HonestPlayer.StartAsync(host.Url());

        var (drainExit, drain) = await CliRun.RunAsync("edge", "drain", "--edge", edge, "--deadline", "1", "--wait");
        var (undrainExit, undrain) = await CliRun.RunAsync("edge", "undrain", "--edge", edge);

        Assert.Equal((0, 0), (drainExit, undrainExit));
        Assert.StartsWith("draining: 1 sessions left, closed at ", drain.Out, StringComparison.Ordinal);
        Assert.EndsWith("drained: no session left", drain.Out.Trim(), StringComparison.Ordinal);
        Assert.Equal("taking sessions: 0 open", undrain.Out.Trim());
    }

    [Fact]
    public async Task A_refused_control_call_is_exit_code_6_with_the_reason()
    {
        await using var host = await EdgeTestHost.StartAsync(true, "Control:Tokens=secret");

        var (exit, run) = await CliRun.RunAsync("sessions", "list", "--edge", host.Edge.ControlAddress(), "--token", "guess");
        var (allowed, _) = await CliRun.RunAsync("sessions", "list", "--edge", host.Edge.ControlAddress(), "--token", "secret");

        Assert.Equal((ExitCodes.ControlRefused, ExitCodes.Success), (exit, allowed));
        Assert.Equal("grpcstream: the control API refused the call: the bearer token is not accepted", run.Error.Trim());
    }
}
