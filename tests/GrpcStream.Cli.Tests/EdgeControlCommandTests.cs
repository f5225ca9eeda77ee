using System.Text.Json;
using System.Text.RegularExpressions;
using GrpcStream.Edge.Hosting;
using GrpcStream.Cli.Commands;
using GrpcStream.Rtsp.Client;
using GrpcStream.Testing;

namespace GrpcStream.Cli.Tests;

/// <summary><c>grpcstream sessions</c> and <c>grpcstream edge</c> against a live edge's control API.</summary>
public class EdgeControlCommandTests
{
    [Fact]
    public async Task Sessions_are_listed_as_a_table_and_as_json_and_kicked()
    {
        await using var host = await EdgeTestHost.StartAsync();
        var edge = host.Edge.ControlAddress();
        await using var player = await HonestPlayer.StartAsync(host.Url());
        await player.WaitForMoreFramesAsync(2);

        var (tableExit, table) = await CliRun.RunAsync("sessions", "list", "--edge", edge);
        var (jsonExit, json) = await CliRun.RunAsync("sessions", "list", "--edge", edge, "--json");

        Assert.True((tableExit, jsonExit) == (0, 0), table.Error + json.Error);
        var lines = table.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^ID +KIND +STREAM +TRANSPORT +CLIENT +STATE +SINCE +FRAMES +DROPPED +LOSS$", lines[0]);
        Assert.Equal(lines[0].IndexOf("STREAM", StringComparison.Ordinal), lines[1].IndexOf("movie.Mjpeg", StringComparison.Ordinal));
        var session = Assert.Single(JsonDocument.Parse(json.Out).RootElement.GetProperty("sessions").EnumerateArray());
        Assert.Equal(("play", "tcp", "127.0.0.1", "playing"), (session.GetProperty("kind").GetString(), session.GetProperty("transport").GetString(), session.GetProperty("clientAddress").GetString(), session.GetProperty("state").GetString()));
        var id = session.GetProperty("id").GetString()!;

        var (kickExit, kick) = await CliRun.RunAsync("sessions", "kick", id, "--edge", edge, "--reason", "cli test");
        var (_, after) = await CliRun.RunAsync("sessions", "list", "--edge", edge, "--json");

        Assert.Equal(0, kickExit);
        Assert.Equal($"session {id} kicked", kick.Out.Trim());
        Assert.False(JsonDocument.Parse(after.Out).RootElement.TryGetProperty("sessions", out _));
    }

    [Fact]
    public async Task Drain_waits_for_the_deadline_and_undrain_takes_sessions_again()
    {
        await using var host = await EdgeTestHost.StartAsync();
        var edge = host.Edge.ControlAddress();
        await using var player = await HonestPlayer.StartAsync(host.Url());

        var (drainExit, drain) = await CliRun.RunAsync("edge", "drain", "--edge", edge, "--deadline", "1s", "--wait");
        var (undrainExit, undrain) = await CliRun.RunAsync("edge", "undrain", "--edge", edge);

        Assert.Equal((0, 0), (drainExit, undrainExit));
        Assert.StartsWith("draining: 1 sessions left, closed at ", drain.Out, StringComparison.Ordinal);
        Assert.EndsWith("drained: no session left", drain.Out.Trim(), StringComparison.Ordinal);
        Assert.Equal("taking sessions: 0 open", undrain.Out.Trim());
    }

    [Fact]
    public async Task Edge_origins_lists_each_origin_with_its_circuit_state_and_streams_and_streams_list_shows_the_origin_of_each()
    {
        await using var host = await EdgeTestHost.StartWithOriginsAsync(2, []);
        var edge = host.Edge.ControlAddress();
        await using var player = await HonestPlayer.StartAsync(host.Url());
        await player.WaitForMoreFramesAsync(2);
        await host.StopOriginAsync(1); // the second origin is not used, and is not asked until a stream needs it

        var (exit, table) = await CliRun.RunAsync("edge", "origins", "--edge", edge);
        var (_, streams) = await CliRun.RunAsync("streams", "list", "--edge", edge);

        Assert.True(exit == 0, table.Error);
        var lines = table.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^ORIGIN +CIRCUIT +STATE +STREAMS$", lines[0]);
        Assert.Matches($@"^{Regex.Escape(host.OriginAddressAt(0))} +closed +up +1$", lines[1]);
        Assert.Matches($@"^{Regex.Escape(host.OriginAddressAt(1))} +closed +up +0$", lines[2]);
        Assert.Contains($"receiving from {host.OriginAddressAt(0)}", streams.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sessions_watch_prints_the_snapshot_then_each_change_until_interrupted()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var first = await HonestPlayer.StartAsync(host.Url());
        using var watch = new CliRun();
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = watch.StartAsync(interrupt.Token, "sessions", "watch", "--edge", host.Edge.ControlAddress());
        await Eventually.HoldsAsync(() => watch.Out.Contains("1 sessions open; changes follow", StringComparison.Ordinal), "the snapshot");

        var second = await HonestPlayer.StartAsync(host.Url(), RtspTransport.Udp);
        await second.WaitForMoreFramesAsync(1);
        await second.DisposeAsync(); // TEARDOWN
        await Eventually.HoldsAsync(() => watch.Out.Contains("(teardown)", StringComparison.Ordinal), "the teardown");
        await interrupt.CancelAsync();

        Assert.Equal(ExitCodes.Success, await running.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        var lines = watch.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3} open +\d+ play movie\.Mjpeg tcp 127\.0\.0\.1:\d+ playing, \d+ frames, 0 dropped$", lines[0]);
        Assert.Equal(["open", "--", "created", "playing", "closed"], lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
        Assert.Contains(" udp ", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streams_are_listed_from_the_edge_and_from_the_origin()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var player = await HonestPlayer.StartAsync(host.Url());
        await player.WaitForMoreFramesAsync(2);

        var (edgeExit, edge) = await CliRun.RunAsync("streams", "list", "--edge", host.Edge.ControlAddress());
        var (jsonExit, json) = await CliRun.RunAsync("streams", "list", "--edge", host.Edge.ControlAddress(), "--json");
        var (originExit, origin) = await CliRun.RunAsync("streams", "list", "--origin", host.OriginAddress);
        var (bothExit, both) = await CliRun.RunAsync("streams", "list", "--origin", host.OriginAddress, "--edge", host.Edge.ControlAddress());

        Assert.True((edgeExit, jsonExit, originExit) == (0, 0, 0), edge.Error + json.Error + origin.Error);
        var edgeLines = edge.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^STREAM +SESSIONS +ORIGIN LINK +FPS +FRAMES IN +FRAMES OUT +LAST FRAME$", edgeLines[0]);
        Assert.Matches(@"^movie\.Mjpeg +tcp=1 +receiving from http://127\.0\.0\.1:\d+ +\d+\.\d +\d+ +\d+ +\d+ ms ago$", edgeLines[1]);
        var stream = Assert.Single(JsonDocument.Parse(json.Out).RootElement.GetProperty("streams").EnumerateArray());
        Assert.Equal(1, stream.GetProperty("sessions").GetProperty("tcp").GetInt32());
        Assert.True(stream.GetProperty("framesIn").GetString() is { } framesIn && long.Parse(framesIn, System.Globalization.CultureInfo.InvariantCulture) >= 2);
        var originLines = origin.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^STREAM +SIZE +FPS +FRAMES +DURATION +MODE +FORMAT +RTP/JPEG$", originLines[0]);
        Assert.Matches(@"^movie\.Mjpeg +\d+x\d+ +25 +25 +0:01\.0 +live +Generated +yes$", originLines[1]);
        Assert.Equal((ExitCodes.Usage, "grpcstream: give --edge or --origin, not both"), (bothExit, both.Error.Trim()));
    }

    [Fact]
    public async Task Over_tls_a_client_certificate_is_a_credential_and_none_is_refused()
    {
        using var ca = new TestCertificates();
        var (certificate, key) = ca.Issue("edge");
        var (operatorCertificate, operatorKey) = ca.Issue("operator", client: true);
        await using var host = await EdgeTestHost.StartAsync(
            true, "Rtsps:Port=0", $"Rtsps:CertificatePath={certificate}", $"Rtsps:KeyPath={key}", $"Control:ClientCaPath={ca.CaPath}", "Control:Tokens=secret");
        var edge = host.Edge.ControlAddress();

        var (withExit, with) = await CliRun.RunAsync("streams", "list", "--edge", edge, "--ca", ca.CaPath, "--cert", operatorCertificate, "--key", operatorKey);
        var (withoutExit, without) = await CliRun.RunAsync("streams", "list", "--edge", edge, "--ca", ca.CaPath);

        Assert.True(withExit == ExitCodes.Success, with.Error);
        Assert.StartsWith("STREAM ", with.Out, StringComparison.Ordinal);
        Assert.Equal((ExitCodes.ControlRefused, "grpcstream: the control API refused the call: a bearer token is required (Edge:Control:Tokens)"), (withoutExit, without.Error.Trim()));
    }

    [Fact]
    public async Task The_origin_lists_the_edge_watching_it_and_rescans_on_demand()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using var player = await HonestPlayer.StartAsync(host.Url());
        await player.WaitForMoreFramesAsync(2);

        var (listExit, list) = await CliRun.RunAsync("origin", "subscribers", "--origin", host.OriginAddress);
        var (jsonExit, json) = await CliRun.RunAsync("origin", "subscribers", "--origin", host.OriginAddress, "--json");
        var (rescanExit, rescan) = await CliRun.RunAsync("origin", "rescan", "--origin", host.OriginAddress);

        Assert.True((listExit, jsonExit, rescanExit) == (0, 0, 0), list.Error + json.Error + rescan.Error);
        var lines = list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^PEER +STREAM +SINCE +FRAMES +DROPPED$", lines[0]);
        Assert.Matches(@"^ipv4:127\.0\.0\.1:\d+ +movie\.Mjpeg +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +\d+ +\d+$", Assert.Single(lines[1..]));
        var subscriber = Assert.Single(JsonDocument.Parse(json.Out).RootElement.GetProperty("subscribers").EnumerateArray());
        Assert.Equal("movie.Mjpeg", subscriber.GetProperty("stream").GetString());
        Assert.Equal("rescanned: 1 streams", rescan.Out.Trim());
    }

    [Fact]
    public async Task A_deadline_that_is_not_a_duration_is_a_usage_error()
    {
        var (exit, run) = await CliRun.RunAsync("edge", "drain", "--edge", ControlConnection.DefaultEdge, "--deadline", "soon");

        Assert.Equal((ExitCodes.Usage, "grpcstream: --deadline 'soon' is not a duration such as 60s, 2m or 90"), (exit, run.Error.Trim()));
    }

    [Fact]
    public async Task A_refused_control_call_is_exit_code_6_with_the_reason()
    {
        await using var host = await EdgeTestHost.StartAsync(true, "Control:Tokens=secret");

        var (exit, run) = await CliRun.RunAsync("sessions", "list", "--edge", host.Edge.ControlAddress(), "--token", "guess");
        var (allowed, _) = await CliRun.RunAsync("sessions", "list", "--edge", host.Edge.ControlAddress(), "--token", "secret");

        Assert.Equal((ExitCodes.ControlRefused, ExitCodes.Success), (exit, allowed));
        Assert.Equal("grpcstream: the control API refused the call: the bearer token is not accepted", run.Error.Trim());
    }
}
