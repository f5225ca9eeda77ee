using System.CommandLine;
using System.Diagnostics;
using GrpcStream.Cli.Output;
using GrpcStream.Rtsp.Client;

namespace GrpcStream.Cli.Commands;

/// <summary><c>grpcstream play URL</c>: plays a stream, optionally saving its frames, with live statistics.</summary>
internal static class PlayCommand
{
    public static Command Create(CliConsole console)
    {
        var url = CommonOptions.Url();
        var frames = new Option<int?>("--frames", "-n") { Description = "Stop after this many frames." };
        var duration = new Option<double?>("--duration", "-d") { Description = "Stop after this many seconds." };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Write the frames to FILE: an MJPEG file (ffplay -f mjpeg FILE), or the lab's 5-digit-length format when FILE ends in .Mjpeg.",
        };
        frames.Validators.Add(r => { if (r.GetValue(frames) is < 1) { r.AddError("--frames must be at least 1."); } });
        duration.Validators.Add(r => { if (r.GetValue(duration) is <= 0) { r.AddError("--duration must be above 0."); } });

        var command = new Command("play", "Play a stream: SETUP, PLAY, receive frames, TEARDOWN. Ctrl+C stops.") { url, frames, duration, output };
        var client = ClientOptionSet.AddTo(command, media: true);
        command.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, () => RunAsync(
            console,
            result.GetValue(url)!,
            client.Build(result, console),
            result.GetValue(frames),
            result.GetValue(duration),
            result.GetValue(output),
            cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string url, RtspPlayerOptions options, int? maxFrames, double? seconds, string? outputPath, CancellationToken cancellationToken)
    {
        await using var player = new RtspPlayer(url, options);
        await using var file = outputPath is null ? null : new FrameFileWriter(outputPath);
        await player.PlayAsync(cancellationToken);
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (seconds is { } limit)
        {
            stop.CancelAfter(TimeSpan.FromSeconds(limit));
        }

        var lastStatus = TimeSpan.Zero;
        var received = 0;
        try
        {
            await foreach (var frame in player.ReadFramesAsync(stop.Token))
            {
                received++;
                if (file is not null)
                {
                    await file.WriteAsync(frame.Jpeg, CancellationToken.None);
                }

                if (console.IsInteractive && clock.Elapsed - lastStatus > TimeSpan.FromMilliseconds(500))
                {
                    lastStatus = clock.Elapsed;
                    await console.Out.WriteAsync("\r" + StatisticsText.StatusLine(player.GetStatistics(), clock.Elapsed) + "   ");
                }

                if (received == maxFrames)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // --duration, or Ctrl+C: a normal end.
        }

        var stats = player.GetStatistics();
        if (console.IsInteractive)
        {
            await console.Out.WriteLineAsync();
        }

        await player.TeardownAsync(CancellationToken.None);
        await console.Out.WriteLineAsync(StatisticsText.Summary(stats, clock.Elapsed));
        if (file is not null)
        {
            await console.Out.WriteLineAsync($"wrote {file.Written} frames to {file.Path}" + (file.Skipped > 0 ? $" ({file.Skipped} over 99999 bytes left out of the lab format)" : string.Empty));
        }

        if (received == 0 && !cancellationToken.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("grpcstream: no frames received");
            return ExitCodes.Failure;
        }

        return ExitCodes.Success;
    }
}
