using System.Text.RegularExpressions;
using GrpcStream.Testing;

namespace GrpcStream.Cli.Tests;

public class ControlCommandTests
{
    [Fact]
    public async Task Setup_play_pause_play_teardown_typed_on_standard_input()
    {
        await using var host = await EdgeTestHost.StartAsync();
        using var run = new CliRun();
        var session = run.StartAsync("control", host.Url(), "--transport", "tcp");

        // Another player of the stream is the clock: "while it got N frames" instead of "after N seconds".
        await using var clock = await HonestPlayer.StartAsync(host.Url());

        run.Type("setup");
        run.Type("play");
        var playing = await FramesAfterAsync(run, "stats", 1);
        run.Type("pause");
        await WaitForStateAsync(run, "ready", 2);
        await clock.WaitForMoreFramesAsync(5); // frames already on the way when PAUSE was answered land meanwhile
        var paused = await FramesAfterAsync(run, "stats", 0);
        await clock.WaitForMoreFramesAsync(25);
        var stillPaused = await FramesAfterAsync(run, "stats", 0);
        run.Type("play");
        var resumed = await FramesAfterAsync(run, "stats", stillPaused + 1);
        run.Type("teardown");
        run.Type("quit");
        var exit = await session.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(0, exit);
        Assert.True(playing > 0);
        Assert.Equal(paused, stillPaused);
        Assert.True(resumed > stillPaused);
        Assert.Contains("  | SETUP " + host.Url() + "/track1 RTSP/1.0", run.Out, StringComparison.Ordinal);
        Assert.Contains("  | RTSP/1.0 200 OK", run.Out, StringComparison.Ordinal);
        Assert.Equal(["ready", "playing", "ready", "playing", "init"], StatesAfterCommands(run.Out));
    }

    [Fact]
    public async Task A_refused_request_is_reported_and_the_session_goes_on()
    {
        await using var host = await EdgeTestHost.StartAsync();
        using var run = new CliRun();
        var session = run.StartAsync("control", host.Url("nothing.mjpeg"));

        run.Type("describe");
        run.Type("wiggle");
        run.Type("quit");
        var exit = await session.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(0, exit);
        Assert.Contains("grpcstream: DESCRIBE failed: 404 Not Found", run.Error, StringComparison.Ordinal);
        Assert.Contains("grpcstream: unknown command 'wiggle'", run.Error, StringComparison.Ordinal);
    }

    /// <summary>Waits until the client has printed <paramref name="state"/> as its state <paramref name="times"/> times.</summary>
    private static async Task WaitForStateAsync(CliRun run, string state, int times) =>
        await Eventually.HoldsAsync(() => Regex.Count(run.Out, $"^state: {state}$", RegexOptions.Multiline) >= times, $"state {state} shown {times} times");

    /// <summary>Types <paramref name="command"/> and waits for the frame count it prints to reach <paramref name="atLeast"/>.</summary>
    private static async Task<long> FramesAfterAsync(CliRun run, string command, long atLeast)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var before = Regex.Count(run.Out, "^([0-9]+) frames, ", RegexOptions.Multiline);
            run.Type(command);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (Regex.Count(run.Out, "^([0-9]+) frames, ", RegexOptions.Multiline) == before)
            {
                Assert.True(DateTime.UtcNow < deadline, "no stats line appeared");
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }

            var frames = long.Parse(Regex.Matches(run.Out, "^([0-9]+) frames, ", RegexOptions.Multiline)[^1].Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (frames >= atLeast)
            {
                return frames;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"fewer than {atLeast} frames arrived");
        return 0;
    }

    private static string[] StatesAfterCommands(string output) =>
        [.. Regex.Matches(output, "^state: (\\w+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).Aggregate(new List<string>(), (list, state) =>
        {
            if (list.Count == 0 || list[^1] != state)
            {
                list.Add(state);
            }

            return list;
        })];
}
