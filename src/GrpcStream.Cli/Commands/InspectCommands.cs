using System.CommandLine;
using GrpcStream.Rtsp.Client;
using GrpcStream.Cli.Output;

namespace GrpcStream.Cli.Commands;

/// <summary><c>grpcstream options URL</c> and <c>grpcstream describe URL</c>: what the server says, readably.</summary>
internal static class InspectCommands
{
    public static Command Options(CliConsole console)
    {
        var url = CommonOptions.Url();
        var command = new Command("options", "Ask the server which methods it supports.") { url };
        var options = ClientOptionSet.AddTo(command, media: false);
        command.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, async () =>
        {
            // OPTIONS needs no session: a bare connection asks it.
            await using var connection = new RtspClientConnection(result.GetValue(url)!, options.Build(result, console));
            var response = await connection.OptionsAsync(cancellationToken);
            await console.Out.WriteLineAsync($"{connection.Url}: {Printable.Line(response.ToString())}");
            foreach (var (name, value) in response.Headers.Where(h => h.Name is not "CSeq"))
            {
                await console.Out.WriteLineAsync($"  {name}: {Printable.Line(value)}");
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    public static Command Describe(CliConsole console)
    {
        var url = CommonOptions.Url();
        var raw = new Option<bool>("--raw") { Description = "Print the SDP as the server sent it." };
        var command = new Command("describe", "Show the server's description of the stream (SDP), parsed.") { url, raw };
        var options = ClientOptionSet.AddTo(command, media: false);
        command.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, async () =>
        {
            await using var player = new RtspPlayer(result.GetValue(url)!, options.Build(result, console));
            var description = await player.DescribeAsync(cancellationToken);
            await console.Out.WriteAsync(Printable.Lines(result.GetValue(raw) ? description.ToString() : DescriptionText.Readable(player.Url, description)));
            return ExitCodes.Success;
        }));
        return command;
    }
}
