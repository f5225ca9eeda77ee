using System.CommandLine;
using GrpcStream.Cli.Output;
using GrpcStream.Rtsp.Client;

namespace GrpcStream.Cli.Commands;

/// <summary>
/// <c>grpcstream control URL</c>: an interactive session. Each typed command sends its request and shows the
/// request and the response; frames are counted in the background while playing. Reads commands from standard
/// input, so it can be scripted too.
/// </summary>
internal static class ControlCommand
{
    private const string Help = "commands: setup, play, pause, teardown, options, describe, stats, help, quit";

    public static Command Create(CliConsole console)
    {
        var url = CommonOptions.Url();
        var command = new Command("control", "Control a session interactively: type setup, play, pause, teardown, options, describe, stats, quit.") { url };
        var client = ClientOptionSet.AddTo(command, media: true);
        command.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, () =>
            RunAsync(console, result.GetValue(url)!, client.Build(result, console), cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string url, RtspPlayerOptions options, CancellationToken cancellationToken)
    {
        await using var client = new RtspPlayer(url, options);
        client.Connection.Traffic += text => console.Out.Write(Printable.Lines(TrafficText.Indented(text)));
        var counting = Task.Run(async () =>
        {
            await foreach (var frame in client.ReadFramesAsync(cancellationToken))
            {
                // Counted in the client's statistics; nothing else to do with them here.
            }
        }, CancellationToken.None);

        await console.Out.WriteLineAsync($"{client.Url}  ({Help})");
        var started = DateTime.UtcNow;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (console.IsInteractive)
            {
                await console.Out.WriteAsync($"[{client.State.ToString().ToLowerInvariant()}]> ");
            }

            var line = await console.In.ReadLineAsync(cancellationToken);
            if (line is null)
            {
                break;
            }

            var word = line.Trim().ToLowerInvariant();
            if (word.Length == 0)
            {
                continue;
            }

            if (word is "quit" or "exit" or "q")
            {
                break;
            }

            try
            {
                switch (word)
                {
                    case "setup":
                        await client.SetupAsync(cancellationToken);
                        break;
                    case "play":
                        await client.PlayAsync(cancellationToken);
                        break;
                    case "pause":
                        await client.PauseAsync(cancellationToken);
                        break;
                    case "teardown":
                        await client.TeardownAsync(cancellationToken);
                        break;
                    case "options":
                        await client.Connection.OptionsAsync(cancellationToken);
                        break;
                    case "describe":
                        await console.Out.WriteAsync(Printable.Lines(DescriptionText.Readable(client.Url, await client.DescribeAsync(cancellationToken))));
                        break;
                    case "stats":
                        await console.Out.WriteLineAsync(StatisticsText.Summary(client.GetStatistics(), DateTime.UtcNow - started));
                        break;
                    case "help":
                        await console.Out.WriteLineAsync(Help);
                        break;
                    default:
                        await console.Error.WriteLineAsync($"grpcstream: unknown command '{word}' ({Help})");
                        continue;
                }

                await console.Out.WriteLineAsync($"state: {client.State.ToString().ToLowerInvariant()}");
            }
            catch (Exception ex) when (CommandErrors.Describe(ex) is { } failure && failure.ExitCode is ExitCodes.RtspError or ExitCodes.Timeout or ExitCodes.Failure)
            {
                // A refused request is reported and the session goes on; a lost connection ends it.
                await console.Error.WriteLineAsync($"grpcstream: {Printable.Line(failure.Message)}");
            }
        }

        return ExitCodes.Success;
    }
}
