using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using GrpcStream.Edge.Tls;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.ServiceDefaults.Tls;

namespace GrpcStream.Edge.Control;

/// <summary>
/// TLS on the control port, with the edge's own certificate (the RTSPS one, reloaded when its files change), and
/// client certificates from <see cref="ControlSettings.ClientCaPath"/> taken as credentials.
/// </summary>
internal static class ControlTls
{
    public static void Use(ListenOptions endpoint, RtspsSettings rtsps, ControlSettings control)
    {
        var services = endpoint.ApplicationServices;
        var time = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("GrpcStream.Edge.Control.ControlTls");
        var certificate = ServerCertificate.Reloading(rtsps, time, logger);
        var options = new HttpsConnectionAdapterOptions { ServerCertificateSelector = (_, _) => certificate.Current };
        if (control.ClientCaPath is { } caPath)
        {
            // Allowed, not required: a caller may present a token instead, and on loopback (without tokens) nothing.
            options.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            options.ClientCertificateValidation = new ReloadingTrust(caPath, time).ClientValidator((subject, why) => EdgeLog.ControlCertificateRefused(logger, subject, why));
        }

        endpoint.UseHttps(options);
    }
}
