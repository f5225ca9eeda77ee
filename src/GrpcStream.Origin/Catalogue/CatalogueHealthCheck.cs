using GrpcStream.Origin.Settings;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace GrpcStream.Origin.Catalogue;

/// <summary>Healthy once the first scan is done and there is something to play.</summary>
internal sealed class CatalogueHealthCheck(StreamCatalogue catalogue, IOptions<OriginOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { ["streams"] = catalogue.Streams.Count };
        if (options.Value.MediaRoot is { } root && !Directory.Exists(root))
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"media root '{root}' is gone", data: data));
        }

        if (!catalogue.Ready)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("loading streams", data: data));
        }

        return Task.FromResult(catalogue.Streams.Count == 0
            ? HealthCheckResult.Degraded("no streams to serve", data: data)
            : HealthCheckResult.Healthy($"{catalogue.Streams.Count} streams", data));
    }
}
