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
        var problems = origin.Problems;
        var data = new Dictionary<string, object>
        {
            ["origin"] = origin.Address,
            ["originLink"] = origin.State.ToString(),
            ["sessions"] = sessions.Count,
        };
        if (problems.Count > 0)
        {
            data["streamsNotReceiving"] = problems; // stream -> why
        }

        return Task.FromResult(origin.State == OriginLinkState.Reconnecting
            ? HealthCheckResult.Degraded($"{problems.Count} stream(s) not receiving from the origin ({string.Join("; ", problems.Select(p => $"{p.Key}: {p.Value}"))}); retrying, sessions kept", data: data)
            : HealthCheckResult.Healthy($"origin link {origin.State.ToString().ToLowerInvariant()}", data));
    }
}
