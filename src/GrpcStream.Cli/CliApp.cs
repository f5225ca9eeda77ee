using System.CommandLine;
using GrpcStream.Cli.Commands;
using GrpcStream.Cli.Output;

namespace GrpcStream.Cli;

/// <summary>The grpcstream command line.</summary>
public static class CliApp
{
    public static RootCommand Build(CliConsole console) => new("grpcstream: play, inspect and control RTSP streams (GrpcStream's edge or any RTSP server).")
    {
        PlayCommand.Create(console),
        SnapshotCommand.Create(console),
        PublishCommand.Create(console),
        BenchCommand.Create(console),
        ControlCommand.Create(console),
        InspectCommands.Describe(console),
        InspectCommands.Options(console),
        HashPasswordCommand.Create(console),
        EdgeControlCommands.Sessions(console),
        EdgeControlCommands.Edge(console),
        StreamsCommand.Create(console),
        TopCommand.Create(console),
        OriginCommands.Create(console),
    };

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var parse = Build(console).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await console.Error.WriteLineAsync($"grpcstream: {error.Message}");
            }

            await console.Error.WriteLineAsync("Try 'grpcstream --help'.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error }, cancellationToken);
    }
}
