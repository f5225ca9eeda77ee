using Microsoft.Extensions.Hosting;
using Prometheus;

namespace GrpcStream.ServiceDefaults;

/// <summary>
/// prometheus-net starts listening to System.Diagnostics.Metrics instruments on its first collection
/// (prometheus-net issue 487): this collects once as the service starts, so that nothing counted before the first
/// scrape is lost.
/// </summary>
internal sealed class MetricsListenerStart : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Metrics.DefaultRegistry.CollectAndExportAsTextAsync(Stream.Null, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
