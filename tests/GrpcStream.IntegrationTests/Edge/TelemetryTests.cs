using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge;

/// <summary>The services as an operator's pipeline sees them: traces sent by OTLP, logs as JSON lines.</summary>
public class TelemetryTests
{

    [Fact]
    public async Task With_an_otlp_endpoint_origin_calls_are_exported_as_traces_and_logs_are_json_lines()
    {
        // A minimal OTLP/HTTP receiver: it keeps what is posted to it.
        var collectorPort = FreePorts.Tcp();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{collectorPort}/");
        collector.Start();
        var posted = new ConcurrentQueue<(string Path, byte[] Body)>();
        var receiving = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await collector.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                posted.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        var originPort = FreePorts.Tcp();
        var rtspPort = FreePorts.Tcp();
        var httpPort = FreePorts.Tcp();
        var controlPort = FreePorts.Tcp();
        string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
        await using var origin = ServiceProcess.Start("Origin", ["--urls", $"http://127.0.0.1:{originPort}", "--http-port", "0"]);
        await Eventually.HoldsAsync(() => origin.Output.Any(l => l.Contains("Origin listening on", StringComparison.Ordinal)), "the origin listening", TimeSpan.FromSeconds(60));
        await using var edge = ServiceProcess.Start(
            "Edge",
            ["--rtsp-port", Port(rtspPort), "--http-port", Port(httpPort), "--rtp-port", "0", $"--Edge:Control:Port={Port(controlPort)}", "--origin", $"http://127.0.0.1:{originPort}"],
            new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{collectorPort}",
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
                ["Logging__Console__FormatterName"] = "json",
            });
        await edge.WaitHealthyAsync($"http://127.0.0.1:{httpPort}/healthz");

        await using (var player = await HonestPlayer.StartAsync($"rtsp://127.0.0.1:{rtspPort}/movie.Mjpeg"))
        {
            await player.WaitForMoreFramesAsync(2);
        }

        using (var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{controlPort}"))
        {
            await new GrpcStream.Protos.Edge.V1.EdgeControl.EdgeControlClient(channel).GetStatsAsync(new GrpcStream.Protos.Edge.V1.GetStatsRequest());
        }

        static bool Carries(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
        bool Traced(string text) => posted.Any(p => p.Path == "/v1/traces" && Carries(p.Body, text));
        await Eventually.HoldsAsync(
            () => Traced("origin.describe") && Traced("origin.connect") && Traced("grpcstream.edge.v1.EdgeControl/GetStats"),
            "the origin calls' and the control call's spans exported",
            TimeSpan.FromSeconds(30));
        Assert.Contains(posted, p => p.Path == "/v1/traces" && Carries(p.Body, "GrpcStream.Edge"));

        // Every line the edge wrote to standard output is one JSON object with the category and message.
        var lines = edge.Output.Where(l => !l.StartsWith("stderr: ", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(lines);
        Assert.All(lines, line =>
        {
            using var json = JsonDocument.Parse(line);
            Assert.True(json.RootElement.TryGetProperty("Category", out _), line);
            Assert.True(json.RootElement.TryGetProperty("Message", out _), line);
        });
        Assert.Contains(lines, l => l.Contains("\"Category\":\"GrpcStream.Edge.Sessions.SessionManager\"", StringComparison.Ordinal));

        collector.Stop();
        await receiving;
    }
}
