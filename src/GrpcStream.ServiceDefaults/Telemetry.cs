using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GrpcStream.ServiceDefaults;

/// <summary>
/// Metrics and traces the .NET way: the services count with <c>System.Diagnostics.Metrics</c> and trace with
/// <c>Activity</c>; OpenTelemetry exports them, metrics at /metrics in Prometheus's text format (counters as
/// counters with <c>_total</c>, histograms as histograms), and both by OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Each host has its own meter provider, so two services in one
/// process (the tests) each report only their own measurements.
/// </summary>
public static class Telemetry
{
    /// <summary>The meters and activity sources of the services: GrpcStream.Edge, GrpcStream.Origin.</summary>
    public const string Sources = "GrpcStream.*";

    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static IHostApplicationBuilder AddTelemetry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var otlp = !string.IsNullOrEmpty(builder.Configuration[OtlpEndpointVariable]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(Sources);

                // .NET's own: collections by generation, heap size, thread pool (dotnet_gc_collections_total...).
                metrics.AddMeter("System.Runtime");

                // No cache: a scrape (or a test) sees the counts as they are.
                metrics.AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });

        // Without an exporter nothing listens to the activity sources, and starting an activity costs nothing.
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(Sources)
                .AddSource("Microsoft.AspNetCore") // control and media calls served
                .AddSource("System.Net.Http") // calls to the origin
                .AddOtlpExporter());
        }

        return builder;
    }

    /// <summary>Maps <see cref="ServiceDefaultsExtensions.MetricsPath"/> to the Prometheus exporter.</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPrometheusScrapingEndpoint(ServiceDefaultsExtensions.MetricsPath);
        return app;
    }
}
