using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace GrpcStream.ServiceDefaults.Grpc;

/// <summary>
/// <c>grpc.health.v1.Health</c> over the service's own health checks, run when asked (no cached result to go
/// stale): service "" is the combined view (NOT_SERVING only when a check is unhealthy, as /healthz), service
/// "ready" is readiness (SERVING only when every check tagged ready is healthy, as /healthz/ready). The stock
/// integration counts a degraded check as serving, which would keep a draining edge in rotation.
/// </summary>
public sealed class GrpcHealthService(HealthCheckService checks, TimeProvider time) : Health.HealthBase
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    public override async Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return new HealthCheckResponse { Status = await StatusAsync(request.Service, context.CancellationToken).ConfigureAwait(false) };
    }

    public override async Task Watch(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);

        // The protocol sends the status at once and then on every change; an unknown service is SERVICE_UNKNOWN.
        ServingStatus? last = null;
        using var timer = new PeriodicTimer(WatchInterval, time);
        try
        {
            do
            {
                var status = IsKnown(request.Service) ? await StatusAsync(request.Service, context.CancellationToken).ConfigureAwait(false) : ServingStatus.ServiceUnknown;
                if (status != last)
                {
                    await responseStream.WriteAsync(new HealthCheckResponse { Status = status }).ConfigureAwait(false);
                    last = status;
                }
            }
            while (await timer.WaitForNextTickAsync(context.CancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // the watcher went away
        }
    }

    private static bool IsKnown(string service) => service.Length == 0 || service == GrpcDefaults.ReadyService;

    private async Task<ServingStatus> StatusAsync(string service, CancellationToken cancellationToken)
    {
        if (service.Length == 0)
        {
            var report = await checks.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
            return report.Status == HealthStatus.Unhealthy ? ServingStatus.NotServing : ServingStatus.Serving;
        }

        if (service == GrpcDefaults.ReadyService)
        {
            var report = await checks.CheckHealthAsync(c => c.Tags.Contains(ServiceDefaultsExtensions.ReadyTag), cancellationToken).ConfigureAwait(false);
            return report.Status == HealthStatus.Healthy ? ServingStatus.Serving : ServingStatus.NotServing;
        }

        throw new RpcException(new Status(StatusCode.NotFound, $"no health service '{service}': ask \"\" (combined) or \"{GrpcDefaults.ReadyService}\""));
    }
}
