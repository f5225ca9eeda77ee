using System.CommandLine;
using System.Text;
using GrpcStream.Rtsp.Client;
using GrpcStream.Rtsp.Sdp;
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
            await using var client = new RtspClient(result.GetValue(url)!, options.Build(result, console));
            var response = await client.OptionsAsync(cancellationToken);
            await console.Out.WriteLineAsync($"{client.Url}: {Printable.Line(response.ToString())}");
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
            await using var client = new RtspClient(result.GetValue(url)!, options.Build(result, console));
            var description = await client.DescribeAsync(cancellationToken);
            await console.Out.WriteAsync(Printable.Lines(result.GetValue(raw) ? description.ToString() : Readable(client.Url, description)));
            return ExitCodes.Success;
        }));
        return command;
    }

    internal static string Readable(string url, SessionDescription description)
    {
        var text = new StringBuilder();
        text.AppendLine($"{url}");
        text.AppendLine($"  session: {description.SessionName}");
        if (description.GetAttribute("range") is { } range)
        {
            text.AppendLine($"  range:   {range}");
        }

        foreach (var media in description.Media)
        {
            var map = media.PayloadType is { } pt ? media.RtpMap(pt) : null;
            text.Append($"  {media.Media}: {media.Protocol} payload {string.Join(' ', media.Formats)}");
            text.Append(map is { } m ? $" ({m.Encoding}/{m.ClockRate})" : string.Empty).AppendLine();
            if (media.Control is { } control)
            {
                text.AppendLine($"    control:    {control}");
            }

            if (media.FrameRate is { } rate)
            {
                text.AppendLine($"    frame rate: {rate:0.###} fps");
            }

            if (media.Dimensions is { } size)
            {
                text.AppendLine($"    size:       {size.Width}x{size.Height}");
            }
        }

        return text.ToString();
    }
}
