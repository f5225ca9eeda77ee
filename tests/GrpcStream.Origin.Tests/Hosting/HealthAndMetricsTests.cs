using System.Net;
using GrpcStream.Origin.Tests.Catalogue;
using GrpcStream.Protos.Origin.V1;

namespace GrpcStream.Origin.Tests.Hosting;

/// <summary>
/// The origin's /healthz and /metrics. Alone in its collection: an up-down counter such as the subscribers gauge
/// takes the decrements of other in-process origins' subscribers that ended while this one's exporter listened.
/// </summary>
[Collection(nameof(ExactOriginMetrics))]
public class HealthAndMetricsTests
{
    [Fact]
    public async Task Healthz_and_metrics_answer_on_the_grpc_port()
    {
        await using var origin = await OriginTestHost.StartAsync();
        using var call = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });
        await Live.LiveClockTests.NextAsync(call.ResponseStream);
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var health = await http.GetAsync(new Uri(origin.Address + "/healthz"), TestContext.Current.CancellationToken);
        var healthBody = await health.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var metrics = await http.GetStringAsync(new Uri(origin.Address + "/metrics"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("\"status\":\"Healthy\"", healthBody, StringComparison.Ordinal);
        Assert.Contains("\"streams\":1", healthBody, StringComparison.Ordinal);
        var parsed = GrpcStream.Testing.PrometheusText.Parse(metrics);
        Assert.Equal(("counter", "gauge"), (parsed.Types["grpcstream_origin_frames_published_total"], parsed.Types["grpcstream_origin_subscribers"]));
        Assert.True(parsed.Sum("grpcstream_origin_frames_published_total", ("stream", "movie.Mjpeg")) >= 1);
        Assert.True(parsed.Sum("grpcstream_origin_subscribers", ("stream", "movie.Mjpeg")) >= 1); // other tests' origins in this process may add theirs
    }
}
