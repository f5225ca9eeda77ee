using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcStream.ServiceDefaults.Grpc;

/// <summary>
/// What every gRPC service of the pair serves besides its own contract: <c>grpc.health.v1</c> (service "" for the
/// combined view, "ready" for readiness, as /healthz and /healthz/ready) and server reflection, so that
/// <c>grpcurl</c> and gRPC probes work against either.
/// </summary>
public static class GrpcDefaults
{
    /// <summary>The gRPC health service name that answers readiness.</summary>
    public const string ReadyService = "ready";

    /// <summary>Adds gRPC with <typeparamref name="TGuard"/> in front of every call, health and reflection; returns the health checks to add to.</summary>
    public static IHealthChecksBuilder AddGrpcDefaults<TGuard>(this IServiceCollection services, Action<GrpcServiceOptions>? configure = null)
        where TGuard : CallGuard
    {
        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<TGuard>();
            configure?.Invoke(grpc);
        });
        services.AddGrpcReflection();
        return services.AddHealthChecks();
    }

    public static WebApplication MapGrpcDefaults(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<GrpcHealthService>();
        app.MapGrpcReflectionService();
        return app;
    }
}
