using System.CommandLine;
using System.Globalization;
using Google.Protobuf;
using GrpcStream.Cli.Output;
using GrpcStream.Protos.Edge.V1;

namespace GrpcStream.Cli.Commands;

/// <summary>
/// The commands that drive an edge's control API: <c>sessions list|kick</c> and <c>edge drain|undrain</c>.
/// </summary>
internal static class EdgeControlCommands
{

    public static Command Sessions(CliConsole console)
    {
        var list = new Command("list", "The edge's sessions: id, stream, transport, client, state, frames, loss.");
        var edge = ControlConnection.AddTo(list);
        var stream = new Option<string?>("--stream") { Description = "Only this stream's sessions." };
        var json = new Option<bool>("--json") { Description = "The response in protobuf's JSON mapping." };
        list.Options.Add(stream);
        list.Options.Add(json);
        list.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, async () =>
        {
            var response = await Client(result, edge).ListSessionsAsync(new ListSessionsRequest { Stream = result.GetValue(stream) ?? string.Empty }, cancellationToken: cancellationToken);
            await console.Out.WriteAsync(result.GetValue(json) ? JsonFormatter.Default.Format(response) + "\n" : Table(response.Sessions));
            return ExitCodes.Success;
        }));

        var kick = new Command("kick", "End a session: BYE, then closed (and its connection, when it has no other).");
        var id = new Argument<string>("id") { Description = "The session's id (its RTSP Session header)." };
        var reason = new Option<string?>("--reason") { Description = "Why, for the edge's log." };
        kick.Arguments.Add(id);
        kick.Options.Add(reason);
        var kickEdge = ControlConnection.AddTo(kick);
        kick.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, async () =>
        {
            await Client(result, kickEdge).KickSessionAsync(new KickSessionRequest { Id = result.GetValue(id)!, Reason = result.GetValue(reason) ?? string.Empty }, cancellationToken: cancellationToken);
            await console.Out.WriteLineAsync($"session {Printable.Line(result.GetValue(id)!)} kicked");
            return ExitCodes.Success;
        }));

        var watch = new Command("watch", "The edge's sessions as they are now, then every change as it happens, until interrupted.");
        var watchEdge = ControlConnection.AddTo(watch);
        var watchStream = new Option<string?>("--stream") { Description = "Only this stream's sessions." };
        var watchJson = new Option<bool>("--json") { Description = "One event per line, in protobuf's JSON mapping." };
        watch.Options.Add(watchStream);
        watch.Options.Add(watchJson);
        watch.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, async () =>
        {
            using var call = Client(result, watchEdge).WatchSessions(new WatchSessionsRequest { Stream = result.GetValue(watchStream) ?? string.Empty }, cancellationToken: cancellationToken);
            try
            {
                while (await call.ResponseStream.MoveNext(cancellationToken))
                {
                    var change = call.ResponseStream.Current;
                    await console.Out.WriteAsync(result.GetValue(watchJson) ? JsonFormatter.Default.Format(change) + "\n" : EventLines(change));
                    await console.Out.FlushAsync(cancellationToken);
                }
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is OperationCanceledException or Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Cancelled })
            {
                return ExitCodes.Success; // interrupted: the normal way to stop watching
            }

            await console.Error.WriteLineAsync("grpcstream: the edge ended the watch");
            return ExitCodes.ConnectionFailed;
        }));

        return new Command("sessions", "List, watch and kick an edge's sessions (its control API).") { list, watch, kick };
    }

    public static Command Edge(CliConsole console)
    {
        var drain = new Command("drain", "Take no new sessions; with --deadline, close the remaining ones then; with --wait, return once none is left.");
        var edge = ControlConnection.AddTo(drain);
        var deadline = new Option<string?>("--deadline") { Description = "How long the sessions may go on before they are closed: 60s, 2m, or seconds." };
        var wait = new Option<bool>("--wait") { Description = "Wait until no session is left." };
        drain.Options.Add(deadline);
        drain.Options.Add(wait);
        drain.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, async () =>
        {
            var client = Client(result, edge);
            var request = new DrainRequest();
            if (result.GetValue(deadline) is { } text)
            {
                if (!GrpcStream.Shared.DurationText.TryParse(text, out var after) || after.TotalSeconds > uint.MaxValue)
                {
                    throw new CliUsageException($"--deadline '{text}' is not a duration such as 60s, 2m or 90");
                }

                request.DeadlineSeconds = (uint)Math.Ceiling(after.TotalSeconds);
            }

            var status = await client.DrainAsync(request, cancellationToken: cancellationToken);
            await console.Out.WriteLineAsync(Describe(status));

            // Watched through the totals: asking to drain again would move the deadline.
            var left = status.Sessions;
            while (result.GetValue(wait) && left > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                left = (await client.GetStatsAsync(new GetStatsRequest(), cancellationToken: cancellationToken)).Sessions;
            }

            if (result.GetValue(wait))
            {
                await console.Out.WriteLineAsync("drained: no session left");
            }

            return ExitCodes.Success;
        }));

        var undrain = new Command("undrain", "Take new sessions again.");
        var undrainEdge = ControlConnection.AddTo(undrain);
        undrain.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, async () =>
        {
            await console.Out.WriteLineAsync(Describe(await Client(result, undrainEdge).UndrainAsync(new UndrainRequest(), cancellationToken: cancellationToken)));
            return ExitCodes.Success;
        }));

        var origins = new Command("origins", "The edge's origins in order of preference: circuit, up or down, streams taken from each.");
        var originsEdge = ControlConnection.AddTo(origins);
        origins.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, async () =>
        {
            var stats = await Client(result, originsEdge).GetStatsAsync(new GetStatsRequest(), cancellationToken: cancellationToken);
            await console.Out.WriteAsync(TextTable.Format(
                ["ORIGIN", "CIRCUIT", "STATE", "STREAMS"],
                stats.Origins.Select(o => new[] { o.Address, o.Circuit, o.Up ? "up" : "down", o.Streams.ToString(CultureInfo.InvariantCulture) })));
            return ExitCodes.Success;
        }));

        return new Command("edge", "Drain an edge before an upgrade, or undrain it; list its origins (its control API).") { drain, undrain, origins };
    }

    /// <summary>One line per session the event is about: time, what happened, and the session.</summary>
    internal static string EventLines(SessionEvent change)
    {
        var at = change.At?.ToDateTimeOffset().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) ?? string.Empty;
        static string About(Session s) => Printable.Line(string.Create(CultureInfo.InvariantCulture, $"{s.Id} {s.Kind} {s.Stream} {s.Transport} {s.ClientAddress}:{s.ClientPort} {s.State}, {Frames(s)} frames, {s.FramesDropped} dropped"));
        return change.EventCase switch
        {
            SessionEvent.EventOneofCase.Snapshot => string.Concat(change.Snapshot.Sessions.Select(s => $"{at} open     {About(s)}\n"))
                + $"{at} -- {change.Snapshot.Sessions.Count} sessions open; changes follow --\n",
            SessionEvent.EventOneofCase.Created => $"{at} created  {About(change.Created)}\n",
            SessionEvent.EventOneofCase.Playing => $"{at} playing  {About(change.Playing)}\n",
            SessionEvent.EventOneofCase.Paused => $"{at} paused   {About(change.Paused)}\n",
            SessionEvent.EventOneofCase.Closed => $"{at} closed   {About(change.Closed.Session)} ({ReasonName(change.Closed.Reason)}{(change.Closed.Detail.Length > 0 ? ": " + Printable.Line(change.Closed.Detail) : string.Empty)})\n",
            _ => string.Empty,
        };
    }

    private static string ReasonName(CloseReason reason) => reason.ToString().ToLowerInvariant();

    internal static EdgeControl.EdgeControlClient Client(ParseResult result, ControlConnection connection) => new(connection.Invoker(result));

    private static string Describe(DrainStatus status) => status.Draining
        ? string.Create(CultureInfo.InvariantCulture, $"draining: {status.Sessions} sessions left{(status.Deadline is { } deadline ? $", closed at {deadline.ToDateTimeOffset():u}" : string.Empty)}")
        : string.Create(CultureInfo.InvariantCulture, $"taking sessions: {status.Sessions} open");

    /// <summary>Sessions as aligned columns.</summary>
    internal static string Table(IEnumerable<Session> sessions) => TextTable.Format(
        ["ID", "KIND", "STREAM", "TRANSPORT", "CLIENT", "STATE", "SINCE", "FRAMES", "DROPPED", "LOSS"],
        sessions.Select(s => new[]
        {
            s.Id, s.Kind, s.Stream, s.Transport, $"{s.ClientAddress}:{s.ClientPort}", s.State,
            s.Since?.ToDateTimeOffset().ToString("u", CultureInfo.InvariantCulture) ?? string.Empty,
            Frames(s).ToString(CultureInfo.InvariantCulture), s.FramesDropped.ToString(CultureInfo.InvariantCulture),
            s.Kind == "record" ? "-" : (s.ReportedFractionLost * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%",
        }));

    /// <summary>Frames sent to a player or viewer, received from a publisher.</summary>
    private static ulong Frames(Session s) => s.Kind == "record" ? s.FramesReceived : s.FramesSent;
}
