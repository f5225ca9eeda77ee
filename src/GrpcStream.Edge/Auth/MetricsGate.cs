using GrpcStream.Edge.Diagnostics;

namespace GrpcStream.Edge.Auth;

/// <summary>
/// Once any user has the <c>metrics</c> permission, <c>/metrics</c> asks for one of them (HTTP Basic: what
/// Prometheus scrapers send). With users but none with that permission, only <c>Edge:Http:TrustedAddresses</c> are
/// answered, since the metrics name streams. <c>/healthz</c> stays open for probes. Failures count, delay and spend
/// the failure budgets like RTSP's.
/// </summary>
internal static class MetricsGate
{
    public static void UseMetricsGate(this WebApplication app)
    {
        var authenticator = app.Services.GetRequiredService<RtspAuthenticator>();
        if (!authenticator.Enabled)
        {
            return;
        }

        var trusted = app.Services.GetRequiredService<TrustedAddresses>();
        if (!authenticator.Users.Any(u => (u.Permissions & Permission.Metrics) != 0))
        {
            app.Use(async (context, next) =>
            {
                if (!context.Request.Path.StartsWithSegments("/metrics", StringComparison.Ordinal) || trusted.Contains(context.Connection.RemoteIpAddress))
                {
                    await next(context).ConfigureAwait(false);
                    return;
                }

                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("/metrics is answered to Edge:Http:TrustedAddresses only while no user has the metrics permission\n", context.RequestAborted).ConfigureAwait(false);
            });
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
            var address = context.Connection.RemoteIpAddress ?? System.Net.IPAddress.None;
            var login = header.Length == 0 ? default : await authenticator.CheckBasicAsync(header, address, context.RequestAborted).ConfigureAwait(false);
            var user = login.Check.User;
            if (user is not null && (user.Permissions & Permission.Metrics) != 0 && user.MayComeFrom(address))
            {
                failures.Succeeded(address);
                await next(context).ConfigureAwait(false);
                return;
            }

            if (login.Check.Refusal is LoginRefusal.TooManyFromAddress or LoginRefusal.TooManyForUser or LoginRefusal.Busy)
            {
                await Task.Delay(failures.Failed(address), time, context.RequestAborted).ConfigureAwait(false);
                var refused = login.Check.Refusal == LoginRefusal.Busy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status429TooManyRequests;
                metrics.AuthFailed(refused);
                context.Response.StatusCode = refused;
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(login.Check.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
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
