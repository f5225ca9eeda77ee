using GrpcStream.Edge.Origin;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Streams;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GrpcStream.Edge.Hosting;

/// <summary>
/// Healthy when the origin link is up or idle; degraded while a stream reconnects or is on the slate (sessions are
/// kept meanwhile, so the edge should stay in rotation). Its data says which origin each stream comes from.
/// </summary>
internal sealed class EdgeHealthCheck(Origin.OriginLink origin, StreamHubRegistry hubs, SessionRegistry sessions) : IHealthCheck
{
    /// <summary>The data entry with the origin link's state (up, idle, reconnecting): the one anyone may see.</summary>
    public const string LinkState = "originLink";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var problems = origin.Problems;
        var byOrigin = origin.StreamsByOrigin();
        var streams = hubs.Hubs.OrderBy(h => h.Name, StringComparer.Ordinal).ToList();
        var data = new Dictionary<string, object>
        {
            ["origin"] = origin.Address,
            [LinkState] = origin.State.ToString(),
            ["sessions"] = sessions.Count,
            ["origins"] = origin.Servers.Select(s => new { address = s.Address, circuit = s.Circuit, up = s.IsUp, streams = byOrigin.GetValueOrDefault(s.Address) }).ToList(),
            ["streams"] = streams.ToDictionary(
                h => h.Name,
                h => (object)new { origin = origin.SourceOf(h.Name), onSlate = h.OnSlate, slateSeconds = Math.Round(h.SlateTime.TotalSeconds, 1) },
                StringComparer.Ordinal),
        };
        if (problems.Count > 0)
        {
            data["streamsNotReceiving"] = problems; // stream -> why
        }

        if (origin.State == OriginLinkState.Reconnecting)
        {
            var onSlate = streams.Count(h => h.OnSlate);
            return Task.FromResult(HealthCheckResult.Degraded($"{problems.Count} stream(s) not receiving from any origin{(onSlate > 0 ? $", {onSlate} on the slate" : string.Empty)} ({string.Join("; ", problems.Select(p => $"{p.Key}: {p.Value}"))}); retrying, sessions kept", data: data));
        }

        // Nothing watched, but the last question to the origin failed (a certificate or token refused, say): say why.
        return Task.FromResult(origin.LastCallFailure is { } failure
            ? HealthCheckResult.Degraded($"the last call to the origin failed: {failure}", data: data)
            : HealthCheckResult.Healthy($"origin link {origin.State.ToString().ToLowerInvariant()}", data));
    }
}
