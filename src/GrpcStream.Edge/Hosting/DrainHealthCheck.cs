using GrpcStream.Edge.Sessions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GrpcStream.Edge.Hosting;

/// <summary>
/// Degraded while draining: /healthz/ready then fails, so a load balancer stops sending players, while the
/// combined /healthz stays 200, so nothing restarts an edge that is emptying itself on purpose.
/// </summary>
internal sealed class DrainHealthCheck(DrainState drain, SessionRegistry sessions) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!drain.Draining)
        {
            return Task.FromResult(HealthCheckResult.Healthy("taking sessions"));
        }

        var data = new Dictionary<string, object> { ["sessions"] = sessions.Count };
        if (drain.Deadline is { } deadline)
        {
            data["deadline"] = deadline.ToString("u", System.Globalization.CultureInfo.InvariantCulture);
        }

        return Task.FromResult(HealthCheckResult.Degraded($"draining: new sessions are refused, {sessions.Count} left", data: data));
    }
}
