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

        var disclosure = app.Services.GetService<HealthDisclosure>();
        Task WriteAsync(HttpContext context, HealthReport report) => WriteHealthAsync(context, report, disclosure);
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = WriteAsync });
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteAsync,
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

    /// <summary>
    /// Writes a health report as a small JSON document: overall status and one entry per check, with each check's
    /// description and data where <paramref name="disclosure"/> lets the caller see them (everything without one),
    /// and otherwise only its status and the data named public.
    /// </summary>
    public static async Task WriteHealthAsync(HttpContext context, HealthReport report, HealthDisclosure? disclosure = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);

        var detail = disclosure is null || await disclosure.MaySeeDetail(context).ConfigureAwait(false);
        if (context.RequestAborted.IsCancellationRequested || context.Response.HasStarted)
        {
            return;
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var body = new Dictionary<string, object?>
        {
            ["status"] = report.Status.ToString(),
            ["checks"] = report.Entries.ToDictionary(
                e => e.Key,
                e =>
                {
                    var data = detail ? e.Value.Data : e.Value.Data.Where(d => disclosure!.PublicData.Contains(d.Key)).ToDictionary(d => d.Key, d => d.Value);
                    return new Dictionary<string, object?>
                    {
                        ["status"] = e.Value.Status.ToString(),
                        ["description"] = detail ? e.Value.Description : null,
                        ["data"] = data.Count == 0 ? null : data,
                    };
                }),
        };
        await JsonSerializer.SerializeAsync(context.Response.Body, body, JsonOptions, context.RequestAborted).ConfigureAwait(false);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };
}

/// <summary>
/// Who may see the health checks' descriptions and data, which can name what the service serves; others get each
/// check's status and the <see cref="PublicData"/> only. Registered as a service, it applies to every health path.
/// </summary>
public sealed class HealthDisclosure
{
    /// <summary>Whether this caller sees everything.</summary>
    public required Func<HttpContext, ValueTask<bool>> MaySeeDetail { get; init; }

    /// <summary>Data entries anyone may see.</summary>
    public IReadOnlySet<string> PublicData { get; init; } = new HashSet<string>(StringComparer.Ordinal);
}
