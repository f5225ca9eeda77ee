using GrpcStream.Edge.OriginLink;
using GrpcStream.Edge.Sessions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GrpcStream.Edge.Hosting;

/// <summary>
/// Healthy when the origin link is up or idle; degraded while it reconnects (sessions are kept meanwhile, so
/// the edge should stay in rotation).
/// </summary>
internal sealed class EdgeHealthCheck(OriginLink.OriginLink origin, SessionRegistry sessions) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["origin"] = origin.Address,
            ["originLink"] = origin.State.ToString(),
            ["sessions"] = sessions.Count,
        };
        return Task.FromResult(origin.State == OriginLinkState.Reconnecting
            ? HealthCheckResult.Degraded("origin unreachable; reconnecting, sessions kept", data: data)
            : HealthCheckResult.Healthy($"origin link {origin.State.ToString().ToLowerInvariant()}", data));
    }
}
