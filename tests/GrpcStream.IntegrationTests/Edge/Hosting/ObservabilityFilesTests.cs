using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Hosting;

/// <summary>
/// The dashboard and alert rules in docker/observability name only metrics the services export: each name is
/// checked against the instruments the edge, the origin and .NET publish, under the names /metrics gives them.
/// </summary>
public partial class ObservabilityFilesTests
{
    [Fact]
    public async Task The_dashboard_and_the_alert_rules_name_only_exported_metrics()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using (var player = await HonestPlayer.StartAsync(host.Url()))
        {
            await player.WaitForMoreFramesAsync(2);
        }

        var published = PublishedNames();
        using var http = new HttpClient();
        var exposed = PrometheusText.Parse(await http.GetStringAsync(new Uri(host.HttpAddress + "/metrics"), TestContext.Current.CancellationToken));
        var origin = await host.OriginMetricsAsync();

        // The naming rule below is the exporter's: checked on every family the two services expose now.
        Assert.All(exposed.Types.Keys.Concat(origin.Types.Keys).Where(n => n.StartsWith("grpcstream_", StringComparison.Ordinal)), n => Assert.Contains(n, published.Keys));
        var root = RepositoryRoot();
        var alerts = File.ReadAllText(Path.Combine(root, "docker", "observability", "alerts.yml"));
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "docker", "observability", "grafana-dashboard.json")));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();

        Assert.NotEmpty(expressions);
        foreach (var (source, text) in expressions.Select(e => ("grafana-dashboard.json", e)).Append(("alerts.yml", alerts)))
        {
            foreach (Match name in MetricName().Matches(text))
            {
                var family = Regex.Replace(name.Value, "_(bucket|count|sum)$", string.Empty);
                Assert.True(
                    published.ContainsKey(name.Value) || (published.TryGetValue(family, out var kind) && kind == "histogram"),
                    $"{source} names {name.Value}, which is not exported");
            }
        }

        Assert.Contains("grpcstream_edge_origin_streams_reconnecting", alerts, StringComparison.Ordinal);
        Assert.Contains("grpcstream_edge_frames_dropped_total", alerts, StringComparison.Ordinal);
        Assert.Contains("grpcstream_edge_sessions_limit", alerts, StringComparison.Ordinal);
    }

    // Prometheus names of every instrument of the services' meters and .NET's, with their kind.
    private static Dictionary<string, string> PublishedNames()
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name is not ("GrpcStream.Edge" or "GrpcStream.Origin" or "System.Runtime"))
            {
                return;
            }

            var type = instrument.GetType().GetGenericTypeDefinition();
            var kind = type == typeof(Counter<>) || type == typeof(ObservableCounter<>) ? "counter"
                : type == typeof(Histogram<>) ? "histogram"
                : "gauge";
            var name = instrument.Name.Replace('.', '_') + instrument.Unit switch
            {
                "s" => "_seconds",
                "By" => "_bytes",
                _ => string.Empty,
            };
            names[kind == "counter" ? name + "_total" : name] = kind;
        };
        listener.Start();
        return names;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GrpcStream.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("GrpcStream.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"\b(grpcstream|dotnet)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();
}
