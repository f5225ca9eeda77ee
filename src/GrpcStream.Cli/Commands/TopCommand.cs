using System.CommandLine;
using System.Globalization;
using GrpcStream.Cli.Output;
using GrpcStream.Protos.Edge.V1;
using GrpcStream.Shared;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace GrpcStream.Cli.Commands;

/// <summary>
/// <c>grpcstream top</c>: an edge's streams and sessions, refreshed in place on a terminal (Spectre.Console's live
/// display), or printed as blocks of plain lines when the output is a file or a pipe.
/// </summary>
internal static class TopCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("top", "A live view of an edge: streams, sessions, bitrates, loss and the origin link, refreshed every second.");
        var connection = ControlConnection.AddTo(command);
        var interval = new Option<string?>("--interval") { Description = "Time between refreshes: 1s (default), 500ms, 5s..." };
        var count = new Option<int?>("--count", "-n") { Description = "Stop after this many refreshes (default: until Ctrl+C)." };
        command.Options.Add(interval);
        command.Options.Add(count);
        command.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, async () =>
        {
            var every = TimeSpan.FromSeconds(1);
            if (result.GetValue(interval) is { } text && (!DurationText.TryParse(text, out every) || every < TimeSpan.FromMilliseconds(100)))
            {
                throw new CliUsageException($"--interval '{text}' is not a duration of at least 100ms, such as 1s");
            }

            if (result.GetValue(count) is < 1)
            {
                throw new CliUsageException("--count must be at least 1");
            }

            var view = new TopView(EdgeControlCommands.Client(result, connection), result.GetValue(connection.Address)!);
            var refreshes = result.GetValue(count) ?? int.MaxValue;
            try
            {
                if (console.IsInteractive)
                {
                    await RunLiveAsync(console, view, every, refreshes, cancellationToken);
                }
                else
                {
                    await RunPlainAsync(console, view, every, refreshes, cancellationToken);
                }
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is OperationCanceledException or Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Cancelled })
            {
                // Ctrl+C: the normal way out.
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task RunPlainAsync(CliConsole console, TopView view, TimeSpan every, int refreshes, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(every);
        for (var i = 0; i < refreshes; i++)
        {
            var sample = await view.SampleAsync(cancellationToken);
            await console.Out.WriteAsync((i > 0 ? "\n" : string.Empty) + sample.Header + "\n\n" + TextTable.Format(TopView.StreamColumns, sample.Streams) + "\n" + TextTable.Format(TopView.SessionColumns, sample.Sessions));
            await console.Out.FlushAsync(cancellationToken);
            if (i + 1 < refreshes)
            {
                await timer.WaitForNextTickAsync(cancellationToken);
            }
        }
    }

    private static async Task RunLiveAsync(CliConsole console, TopView view, TimeSpan every, int refreshes, CancellationToken cancellationToken)
    {
        var terminal = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(console.Out) });
        var first = await view.SampleAsync(cancellationToken);
        await terminal.Live(Render(first)).AutoClear(false).StartAsync(async live =>
        {
            using var timer = new PeriodicTimer(every);
            for (var i = 1; i < refreshes && await timer.WaitForNextTickAsync(cancellationToken); i++)
            {
                live.UpdateTarget(Render(await view.SampleAsync(cancellationToken)));
            }
        });
    }

    private static Rows Render(TopSample sample) => new(
        new Text(sample.Header, new Style(decoration: Decoration.Bold)),
        Table(TopView.StreamColumns, sample.Streams),
        Table(TopView.SessionColumns, sample.Sessions));

    private static Table Table(IReadOnlyList<string> columns, IReadOnlyList<string[]> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column)));
        }

        foreach (var row in rows)
        {
            // Text, not markup: a stream name or an address with [brackets] is shown as it is.
            table.AddRow(row.Select(cell => (IRenderable)new Text(Printable.Line(cell))));
        }

        return table;
    }
}

/// <summary>One refresh of <c>top</c>: a header line and the rows of both tables.</summary>
internal sealed record TopSample(string Header, IReadOnlyList<string[]> Streams, IReadOnlyList<string[]> Sessions);

/// <summary>Asks the edge for its totals, streams and sessions, and works out bitrates from one refresh to the next.</summary>
internal sealed class TopView(EdgeControl.EdgeControlClient client, string edge)
{
    public static readonly string[] StreamColumns = ["STREAM", "SESSIONS", "FPS", "BITRATE", "ORIGIN LINK", "LAST FRAME"];
    public static readonly string[] SessionColumns = ["ID", "STREAM", "TRANSPORT", "CLIENT", "STATE", "BITRATE", "FRAMES", "DROPPED", "LOSS", "JITTER"];

    private Dictionary<string, ulong> _lastBytes = new(StringComparer.Ordinal);
    private long _lastAt;

    public async Task<TopSample> SampleAsync(CancellationToken cancellationToken)
    {
        var stats = await client.GetStatsAsync(new GetStatsRequest(), cancellationToken: cancellationToken);
        var streams = (await client.ListStreamsAsync(new ListStreamsRequest(), cancellationToken: cancellationToken)).Streams;
        var sessions = (await client.ListSessionsAsync(new ListSessionsRequest(), cancellationToken: cancellationToken)).Sessions;
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        var seconds = _lastAt == 0 ? 0 : System.Diagnostics.Stopwatch.GetElapsedTime(_lastAt, now).TotalSeconds;

        // A session first seen in this refresh has no rate yet; one seen before has sent the difference since.
        var rates = sessions.ToDictionary(
            s => s.Id,
            s => seconds > 0 && _lastBytes.TryGetValue(s.Id, out var before) && s.BytesSent >= before ? (s.BytesSent - before) * 8 / seconds : (double?)null,
            StringComparer.Ordinal);
        _lastBytes = sessions.ToDictionary(s => s.Id, s => s.BytesSent, StringComparer.Ordinal);
        _lastAt = now;

        var header = string.Create(
            CultureInfo.InvariantCulture,
            $"edge {edge}  origin link {stats.OriginLink}  sessions {stats.Sessions}  connections {stats.Connections}{(stats.Draining ? "  DRAINING" : string.Empty)}  {DateTimeOffset.Now:HH:mm:ss}");
        var streamRows = streams.Select(s => new[]
        {
            s.Name,
            StreamText.Sessions(s),
            StreamText.Fps(s),
            Bitrate(sessions.Where(x => x.Stream == s.Name).Select(x => rates[x.Id]).ToArray()),
            StreamText.OriginLink(s),
            StreamText.LastFrame(s),
        }).ToList();
        var sessionRows = sessions.Select(s => new[]
        {
            s.Id, s.Stream, s.Transport, $"{s.ClientAddress}:{s.ClientPort}", s.State,
            Bitrate([rates[s.Id]]),
            s.FramesSent.ToString(CultureInfo.InvariantCulture),
            s.FramesDropped.ToString(CultureInfo.InvariantCulture),
            (s.ReportedFractionLost * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%",
            s.ReportedJitterMs.ToString("0.0", CultureInfo.InvariantCulture) + " ms",
        }).ToList();
        return new TopSample(header, streamRows, sessionRows);
    }

    private static string Bitrate(double?[] rates)
    {
        if (rates.Length == 0)
        {
            return "-";
        }

        if (rates.Any(r => r is null))
        {
            return "...";
        }

        var bits = rates.Sum(r => r!.Value);
        return bits >= 1e6
            ? (bits / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " Mbit/s"
            : (bits / 1e3).ToString("0", CultureInfo.InvariantCulture) + " kbit/s";
    }
}
