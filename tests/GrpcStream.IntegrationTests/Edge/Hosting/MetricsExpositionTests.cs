using GrpcStream.Rtsp.Client;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Hosting;

/// <summary>
/// /metrics as a Prometheus server reads it: parsed, with counters typed counter and histograms as histograms.
/// Alone, because OpenTelemetry's meter provider follows meters by name: the edges other tests host in this
/// process at the same time would add to the exact counts asserted here.
/// </summary>
[Collection(nameof(ExactMetrics))]
public class MetricsExpositionTests
{
    [Fact]
    public async Task Counters_are_counters_with_total_gauges_are_gauges_and_first_frames_and_reconnects_are_histograms()
    {
        await using var host = await EdgeTestHost.StartAsync();
        await using (var player = await HonestPlayer.StartAsync(host.Url(), RtspTransport.Udp))
        {
            await player.WaitForMoreFramesAsync(3);
            await host.StopOriginAsync();
            await host.RestartOriginAsync();
            await player.WaitForMoreFramesAsync(3); // frames again: a reconnect measured
        }

        using var http = new HttpClient();
        var metrics = PrometheusText.Parse(await http.GetStringAsync(new Uri(host.HttpAddress + "/metrics"), TestContext.Current.CancellationToken));

        Assert.All(metrics.Types.Where(t => t.Key.EndsWith("_total", StringComparison.Ordinal)), t => Assert.Equal("counter", t.Value));
        Assert.All(metrics.Types.Where(t => t.Value == "counter"), t => Assert.EndsWith("_total", t.Key, StringComparison.Ordinal));
        Assert.Equal("counter", metrics.Types["grpcstream_edge_frames_sent_total"]);
        Assert.True(metrics.Sum("grpcstream_edge_frames_sent_total", ("transport", "udp")) >= 6);
        Assert.Equal(1, metrics.Sum("grpcstream_edge_sessions_closed_total", ("reason", "teardown")));
        Assert.Equal("gauge", metrics.Types["grpcstream_edge_sessions"]);
        Assert.Equal(0, metrics.Sum("grpcstream_edge_sessions"));
        Assert.Equal("histogram", metrics.Types["grpcstream_edge_first_frame_seconds"]);
        Assert.Equal(1, metrics.Sum("grpcstream_edge_first_frame_seconds_count"));
        Assert.Equal(1, metrics.Sum("grpcstream_edge_first_frame_seconds_bucket", ("le", "+Inf")));
        Assert.Equal("histogram", metrics.Types["grpcstream_edge_origin_reconnect_duration_seconds"]);
        // At least one: one full-suite run in four measured two outages for this one restart (not yet explained; see
        // the issue 13 note), and what is under test here is the exposition, not the count.
        Assert.True(metrics.Sum("grpcstream_edge_origin_reconnect_duration_seconds_count") >= 1);
        Assert.True(metrics.Sum("grpcstream_edge_origin_reconnect_duration_seconds_sum") > 0);
    }
}

/// <summary>Tests that read exact counts from /metrics, run with no other test alongside.</summary>
[CollectionDefinition(nameof(ExactMetrics), DisableParallelization = true)]
public sealed class ExactMetrics;
