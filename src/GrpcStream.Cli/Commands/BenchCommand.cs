using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GrpcStream.Rtsp.Client;
using GrpcStream.Cli.Output;

namespace GrpcStream.Cli.Commands;

/// <summary>
/// <c>grpcstream bench URL --sessions N --duration S</c>: opens N sessions at once and reports per-session frames,
/// lost packets and frames, and first-frame latency. Frames are counted, never copied, so the generator stays
/// light enough that the server is what gets measured.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliConsole console)
    {
        var url = CommonOptions.Url();
        var sessions = new Option<int>("--sessions", "-s") { Description = "Sessions to open at once.", DefaultValueFactory = _ => 10 };
        var duration = new Option<double>("--duration", "-d") { Description = "Seconds to play after the last session started.", DefaultValueFactory = _ => 10 };
        var serverPid = new Option<int?>("--server-pid") { Description = "The server's process id: its CPU per delivered packet over the window is reported (Linux)." };
        var gro = new Option<bool>("--gro") { Description = "Receive UDP with generic receive offload (runs of datagrams coalesced by the kernel); players do not, so it is off by default." };
        sessions.Validators.Add(r => { if (r.GetValue(sessions) is < 1 or > 5000) { r.AddError("--sessions must be between 1 and 5000."); } });
        duration.Validators.Add(r => { if (r.GetValue(duration) <= 0) { r.AddError("--duration must be above 0."); } });

        var command = new Command("bench", "Load a server with many sessions and report what each received.") { url, sessions, duration, serverPid, gro };
        var client = ClientOptionSet.AddTo(command, media: true);
        command.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, () => RunAsync(
            console,
            result.GetValue(url)!,
            result.GetValue(sessions),
            TimeSpan.FromSeconds(result.GetValue(duration)),
            client.Build(result, console) with { DeliverFrames = false, UdpGro = result.GetValue(gro) },
            result.GetValue(serverPid),
            cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string url, int count, TimeSpan duration, RtspPlayerOptions options, int? serverPid, CancellationToken cancellationToken)
    {
        if (serverPid is { } pid && ProcessCpu.Read(pid) is null)
        {
            throw new CliUsageException($"--server-pid {pid}: no such process to measure (/proc/{pid}/stat)");
        }

        await WarmUpAsync(url, options, cancellationToken);
        var clients = Enumerable.Range(0, count).Select(_ => new RtspPlayer(url, options)).ToArray();
        try
        {
            // Every session is set up first and then all are played at once, so that first-frame latency is that of
            // N PLAYs arriving together, not of PLAYs spread over the set-up time.
            var clock = Stopwatch.StartNew();
            var started = await EachAsync(clients, (client, token) => client.SetupAsync(token), cancellationToken);
            var setUp = clock.Elapsed;
            var ready = clients.Where((_, i) => started[i] is null).ToArray();

            // Setting up left the generator's garbage (buffers, requests): collected now, not in the middle of the
            // PLAYs, where a pause would be charged to every session's first frame.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var played = await EachAsync(ready, (client, token) => client.PlayAsync(token), cancellationToken);
            for (var (i, j) = (0, 0); i < started.Length; i++)
            {
                started[i] ??= played[j++];
            }

            var failed = started.Count(e => e is not null);
            if (failed == count)
            {
                throw started[0]!;
            }

            var playing = clients.Where((_, i) => started[i] is null).ToArray();
            var before = playing.Select(c => c.GetStatistics()).ToArray();
            var (framesBefore, packetsBefore) = (before.Sum(s => s.Frames), before.Sum(s => s.Packets));
            var window = Stopwatch.StartNew();
            var (ownBefore, serverBefore) = (ProcessCpu.Read(Environment.ProcessId), serverPid is { } measured ? ProcessCpu.Read(measured) : null);
            var collectionsBefore = GC.CollectionCount(0);
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{count - failed} of {count} sessions playing after {clock.Elapsed.TotalSeconds:0.00} s (set up in {setUp.TotalSeconds:0.00} s, then played at once); measuring for {duration.TotalSeconds:0} s"));
            try
            {
                await Task.Delay(duration, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: report what there is.
            }

            var stats = playing.Select(c => c.GetStatistics()).ToArray();
            var elapsed = window.Elapsed;
            var (ownAfter, serverAfter) = (ProcessCpu.Read(Environment.ProcessId), serverPid is { } again ? ProcessCpu.Read(again) : null);
            var collections = GC.CollectionCount(0) - collectionsBefore;
            var windowPackets = stats.Sum(s => s.Packets) - packetsBefore;
            await console.Out.WriteAsync(Report(stats, stats.Sum(s => s.Frames) - framesBefore, windowPackets, elapsed));
            await console.Out.WriteAsync(CpuReport(ownAfter - ownBefore, serverAfter - serverBefore, windowPackets, elapsed));

            // Reception allocates nothing per packet once warm: collections here would say otherwise.
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench gen-0 collections: {collections} in {elapsed.TotalSeconds:0.00} s"));
            if (failed > 0)
            {
                await console.Error.WriteLineAsync($"grpcstream: {failed} sessions failed to start; first: {Printable.Line(CommandErrors.Describe(started.First(e => e is not null)!)!.Value.Message)}");
            }

            return failed > 0 ? ExitCodes.Failure : ExitCodes.Success;
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    /// <summary>Runs <paramref name="step"/> on every client at once; the failure of each, or null.</summary>
    private static async Task<Exception?[]> EachAsync(RtspPlayer[] clients, Func<RtspPlayer, CancellationToken, Task> step, CancellationToken cancellationToken) =>
        await Task.WhenAll(clients.Select(async client =>
        {
            try
            {
                await step(client, cancellationToken);
                return (Exception?)null;
            }
            catch (Exception ex) when (CommandErrors.Describe(ex) is not null)
            {
                return ex;
            }
        }));

    /// <summary>
    /// One session played until its first frame (at most a few seconds), before anything is measured: the first
    /// frame a fresh process receives costs milliseconds of JIT compilation, in the generator and in a fresh server,
    /// and would be charged to every session's first-frame latency. A server that fails here fails again below,
    /// where the error is reported.
    /// </summary>
    private static async Task WarmUpAsync(string url, RtspPlayerOptions options, CancellationToken cancellationToken)
    {
        await using var client = new RtspPlayer(url, options);
        try
        {
            await client.PlayAsync(cancellationToken);
            var deadline = Stopwatch.StartNew();
            while (client.GetStatistics().Frames == 0 && deadline.Elapsed < WarmUpLimit)
            {
                await Task.Delay(10, cancellationToken);
            }

            await client.TeardownAsync(cancellationToken);
        }
        catch (Exception ex) when (CommandErrors.Describe(ex) is not null)
        {
            // Reported by the measured sessions.
        }
    }

    private static readonly TimeSpan WarmUpLimit = TimeSpan.FromSeconds(5);

    /// <param name="stats">Each session's statistics since its PLAY.</param>
    /// <param name="windowFrames">Frames received in the measuring window, when every session was playing.</param>
    /// <param name="windowPackets">Packets received in the measuring window.</param>
    /// <param name="window">The measuring window's length.</param>
    internal static string Report(IReadOnlyList<RtspPlayerStatistics> stats, long windowFrames, long windowPackets, TimeSpan window)
    {
        var text = new System.Text.StringBuilder();
        var frames = stats.Select(s => (double)s.Frames).ToArray();
        var latency = stats.Where(s => s.FirstFrameAfterPlay is not null).Select(s => s.FirstFrameAfterPlay!.Value.TotalMilliseconds).ToArray();
        text.AppendLine(Line("frames per session", frames, "0"));
        text.AppendLine(Line("lost packets per session", [.. stats.Select(s => (double)s.LostPackets)], "0"));
        text.AppendLine(Line("lost frames per session", [.. stats.Select(s => (double)s.DroppedFrames)], "0"));
        text.AppendLine(Line("first frame after PLAY (ms)", latency, "0.0"));
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"total: {stats.Sum(s => s.Frames)} frames, {stats.Sum(s => s.Packets)} packets, {stats.Sum(s => s.LostPackets)} packets lost, {stats.Sum(s => s.DroppedFrames)} frames lost"));
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"window: {windowFrames} frames, {windowPackets} packets in {window.TotalSeconds:0.00} s ({windowFrames / Math.Max(window.TotalSeconds, 0.001) / Math.Max(stats.Count, 1):0.0} frames/s per session, {windowPackets / Math.Max(window.TotalSeconds, 0.001):0} packets/s)"));
        return text.ToString();
    }

    /// <summary>The generator's CPU and, when measured, the server's, over the window: per delivered packet too.</summary>
    internal static string CpuReport(TimeSpan? bench, TimeSpan? server, long windowPackets, TimeSpan window)
    {
        var text = new System.Text.StringBuilder();
        void Add(string who, TimeSpan cpu) => text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{who} cpu: {cpu.TotalSeconds:0.00} s in {window.TotalSeconds:0.00} s ({cpu / window * 100:0}% of a core), {(windowPackets > 0 ? cpu.TotalMicroseconds / windowPackets : 0):0.00} µs per packet"));
        if (bench is { } own)
        {
            Add("bench", own);
        }

        if (server is { } measured)
        {
            Add("server", measured);
        }

        return text.ToString();
    }

    private static string Line(string what, double[] values, string format)
    {
        if (values.Length == 0)
        {
            return $"{what}: none";
        }

        Array.Sort(values);
        string Pick(double q) => values[Math.Min(values.Length - 1, (int)Math.Ceiling(q * values.Length) - 1 < 0 ? 0 : (int)Math.Ceiling(q * values.Length) - 1)].ToString(format, CultureInfo.InvariantCulture);
        return $"{what}: min {values[0].ToString(format, CultureInfo.InvariantCulture)}, median {Pick(0.5)}, p99 {Pick(0.99)}, max {values[^1].ToString(format, CultureInfo.InvariantCulture)}";
    }
}
