using System.CommandLine;
using System.Globalization;
using Google.Protobuf;
using GrpcStream.Cli.Output;
using GrpcStream.Protos.Origin.V1;

namespace GrpcStream.Cli.Commands;

/// <summary><c>grpcstream origin subscribers|rescan</c>: the origin's control service (<c>OriginControl</c>).</summary>
internal static class OriginCommands
{
    public static Command Create(CliConsole console)
    {
        var subscribers = new Command("subscribers", "Who watches which stream at the origin: peer, stream, since, frames sent and dropped.");
        var connection = ControlConnection.AddOriginTo(subscribers);
        var stream = new Option<string?>("--stream") { Description = "Only this stream's subscribers." };
        var json = new Option<bool>("--json") { Description = "The response in protobuf's JSON mapping." };
        subscribers.Options.Add(stream);
        subscribers.Options.Add(json);
        subscribers.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, async () =>
        {
            var response = await new OriginControl.OriginControlClient(connection.Invoker(result))
                .ListSubscribersAsync(new ListSubscribersRequest { Stream = result.GetValue(stream) ?? string.Empty }, cancellationToken: cancellationToken);
            await console.Out.WriteAsync(result.GetValue(json) ? JsonFormatter.Default.Format(response) + "\n" : Table(response.Subscribers));
            return ExitCodes.Success;
        }));

        var rescan = new Command("rescan", "Scan the origin's media root now, instead of at its next interval.");
        var rescanConnection = ControlConnection.AddOriginTo(rescan);
        rescan.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, async () =>
        {
            var response = await new OriginControl.OriginControlClient(rescanConnection.Invoker(result)).RescanAsync(new RescanRequest(), cancellationToken: cancellationToken);
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"rescanned: {response.Streams} streams"));
            return ExitCodes.Success;
        }));

        return new Command("origin", "See who watches the origin, or make it rescan its media (its control service).") { subscribers, rescan };
    }

    internal static string Table(IEnumerable<SubscriberInfo> subscribers) => TextTable.Format(
        ["PEER", "STREAM", "SINCE", "FRAMES", "DROPPED"],
        subscribers.Select(s => new[]
        {
            s.Peer, s.Stream,
            s.Since?.ToDateTimeOffset().ToString("u", CultureInfo.InvariantCulture) ?? string.Empty,
            s.FramesSent.ToString(CultureInfo.InvariantCulture),
            s.FramesDropped.ToString(CultureInfo.InvariantCulture),
        }));
}
