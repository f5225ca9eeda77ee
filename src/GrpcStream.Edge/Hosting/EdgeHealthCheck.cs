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

        if (origin.State == OriginLinkState.Reconnecting)
        {
            return Task.FromResult(HealthCheckResult.Degraded($"{problems.Count} stream(s) not receiving from the origin ({string.Join("; ", problems.Select(p => $"{p.Key}: {p.Value}"))}); retrying, sessions kept", data: data));
        }

        // Nothing watched, but the last question to the origin failed (a certificate or token refused, say): say why.
        return Task.FromResult(origin.LastCallFailure is { } failure
            ? HealthCheckResult.Degraded($"the last call to the origin failed: {failure}", data: data)
            : HealthCheckResult.Healthy($"origin link {origin.State.ToString().ToLowerInvariant()}", data));
    }
}
