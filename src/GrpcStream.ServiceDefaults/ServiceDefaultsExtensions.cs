using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrpcStream.ServiceDefaults;

/// <summary>
/// The one place where the services get their common plumbing, so that origin and edge log, report health
/// and expose metrics the same way.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Path of the combined health view (JSON; 200 when healthy or degraded, 503 when unhealthy): what a container's health check asks.</summary>
    public const string HealthPath = "/healthz";

    /// <summary>Path of liveness: 200 whenever the process answers. A liveness probe must not fail while draining.</summary>
    public const string LivePath = "/healthz/live";

    /// <summary>Path of readiness: 200 only when every check tagged <see cref="ReadyTag"/> is healthy (degraded is 503).</summary>
    public const string ReadyPath = "/healthz/ready";

    /// <summary>The tag of the health checks that say whether the service should be given work now.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Path of the Prometheus text-format metrics endpoint.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// The builder every service starts from: appsettings.json from beside the program (wherever it is started
    /// from), the service's short flags, the caller's (test) overrides, then the defaults.
    /// </summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="switchMappings">Short flags, such as --media-root for Origin:MediaRoot.</param>
    /// <param name="configure">Runs before the defaults are added, so that tests can replace services (the clock).</param>
    public static WebApplicationBuilder CreateServiceBuilder(string[] args, IReadOnlyDictionary<string, string> switchMappings, Action<WebApplicationBuilder>? configure)
    {
        ArgumentNullException.ThrowIfNull(switchMappings);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string>(switchMappings));
        configure?.Invoke(builder);
        builder.AddServiceDefaults();
        return builder;
    }

    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // One line per message for people; JSON (Logging:Console:FormatterName=json) for log pipelines.
        if (string.Equals(builder.Configuration["Logging:Console:FormatterName"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole(options =>
            {
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                options.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss.fff ";
                options.UseUtcTimestamp = true;
            });
        }

        // Time is a dependency: tests replace it with a fake clock.
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHealthChecks();
        builder.AddTelemetry();
        return builder;
    }

    /// <summary>Maps <see cref="HealthPath"/>, <see cref="LivePath"/>, <see cref="ReadyPath"/> and <see cref="MetricsPath"/>.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        app.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = WriteHealthAsync });
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealthAsync });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteHealthAsync,
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });
        app.MapMetrics();
        return app;
    }

    /// <summary>Writes a health report as a small JSON document: overall status and one entry per check.</summary>
    public static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);

        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new Dictionary<string, object?>
        {
            ["status"] = report.Status.ToString(),
            ["checks"] = report.Entries.ToDictionary(
                e => e.Key,
                e => new Dictionary<string, object?>
                {
                    ["status"] = e.Value.Status.ToString(),
                    ["description"] = e.Value.Description,
                    ["data"] = e.Value.Data.Count == 0 ? null : e.Value.Data,
                }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, JsonOptions, context.RequestAborted);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };
}
