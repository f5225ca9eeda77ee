using GrpcStream.Edge.Diagnostics;

namespace GrpcStream.Edge.Auth;

/// <summary>
/// Once any user has the <c>metrics</c> permission, <c>/metrics</c> asks for one of them (HTTP Basic: what
/// Prometheus scrapers send). <c>/healthz</c> stays open for probes. Failures count and delay like RTSP's.
/// </summary>
internal static class MetricsGate
{
    public static void UseMetricsGate(this WebApplication app)
    {
        var authenticator = app.Services.GetRequiredService<RtspAuthenticator>();
        if (!authenticator.Users.Any(u => (u.Permissions & Permission.Metrics) != 0))
        {
            return;
        }

        var failures = app.Services.GetRequiredService<FailedAttempts>();
        var metrics = app.Services.GetRequiredService<EdgeMetrics>();
        var time = app.Services.GetRequiredService<TimeProvider>();
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/metrics", StringComparison.Ordinal))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            var header = context.Request.Headers.Authorization.ToString();
            var user = authenticator.CheckBasic(header.Length == 0 ? null : header, out _, out _);
            var address = context.Connection.RemoteIpAddress ?? System.Net.IPAddress.None;
            if (user is not null && (user.Permissions & Permission.Metrics) != 0 && user.MayComeFrom(address))
            {
                failures.Succeeded(address);
                await next(context).ConfigureAwait(false);
                return;
            }

            if (header.Length > 0)
            {
                var status = user is null ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
                metrics.AuthFailed(status);
                await Task.Delay(failures.Failed(address), time, context.RequestAborted).ConfigureAwait(false);
            }

            context.Response.StatusCode = user is null ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"GrpcStream metrics\"";
        });
    }
}
