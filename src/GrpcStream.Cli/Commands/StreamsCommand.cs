using System.CommandLine;
using System.Globalization;
using Google.Protobuf;
using GrpcStream.Cli.Output;
using GrpcStream.Protos.Edge.V1;
using GrpcStream.Protos.Origin.V1;

namespace GrpcStream.Cli.Commands;

/// <summary><c>grpcstream streams list</c>: what an edge serves (its control API) or what an origin offers.</summary>
internal static class StreamsCommand
{
    public static Command Create(CliConsole console)
    {
        var list = new Command("list", "An edge's streams (sessions, origin link, frame rate), or with --origin the origin's streams.");
        var connection = ControlConnection.AddTo(list);
        var origin = new Option<string?>("--origin") { Description = $"Ask this origin instead (e.g. {ControlConnection.DefaultOrigin})." };
        var json = new Option<bool>("--json") { Description = "The response in protobuf's JSON mapping." };
        list.Options.Add(origin);
        list.Options.Add(json);
        list.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, async () =>
        {
            IMessage response;
            string table;
            if (result.GetValue(origin) is { } originAddress)
            {
                if (result.GetResult(connection.Address) is { Implicit: false })
                {
                    throw new CliUsageException("give --edge or --origin, not both");
                }

                var streams = await new MediaOrigin.MediaOriginClient(connection.Invoker(result, originAddress))
                    .ListStreamsAsync(new Protos.Origin.V1.ListStreamsRequest(), cancellationToken: cancellationToken);
                (response, table) = (streams, OriginTable(streams.Streams));
            }
            else
            {
                var streams = await EdgeControlCommands.Client(result, connection).ListStreamsAsync(new Protos.Edge.V1.ListStreamsRequest(), cancellationToken: cancellationToken);
                (response, table) = (streams, EdgeTable(streams.Streams));
            }

            await console.Out.WriteAsync(result.GetValue(json) ? JsonFormatter.Default.Format(response) + "\n" : table);
            return ExitCodes.Success;
        }));

        return new Command("streams", "List streams on an edge or an origin.") { list };
    }

    internal static string EdgeTable(IEnumerable<StreamInfo> streams) => TextTable.Format(
        ["STREAM", "SESSIONS", "ORIGIN LINK", "FPS", "FRAMES IN", "FRAMES OUT", "LAST FRAME"],
        streams.Select(s => new[]
        {
            s.Name,
            StreamText.Sessions(s),
            StreamText.OriginLink(s),
            StreamText.Fps(s),
            s.FramesIn.ToString(CultureInfo.InvariantCulture),
            s.FramesOut.ToString(CultureInfo.InvariantCulture),
            StreamText.LastFrame(s),
        }));

    internal static string OriginTable(IEnumerable<StreamDescription> streams) => TextTable.Format(
        ["STREAM", "SIZE", "FPS", "FRAMES", "DURATION", "MODE", "FORMAT", "RTP/JPEG"],
        streams.Select(s => new[]
        {
            s.Name,
            string.Create(CultureInfo.InvariantCulture, $"{s.Width}x{s.Height}"),
            s.FrameRate.ToString("0.##", CultureInfo.InvariantCulture),
            s.FrameCount > 0 || s.FramesIndexed == 0
                ? s.FrameCount.ToString(CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"{s.FramesIndexed}+ (indexing)"),
            OriginStreamText.Duration(s),
            OriginStreamText.Mode(s),
            s.SourceFormat.ToString(),
            s.RtpCarriable ? "yes" : "no",
        }));
}
