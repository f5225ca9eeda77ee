using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.ServiceDefaults.Tls;

namespace GrpcStream.Edge.Tls;

/// <summary>The edge's certificates (<c>Edge:Rtsps</c>, <c>Edge:Http</c>), reloaded when their files change.</summary>
internal static class ServerCertificate
{
    public static ReloadingCertificate Reloading(RtspsSettings settings, TimeProvider time, ILogger logger) => Reloading(settings.Files(), time, logger);

    public static ReloadingCertificate Reloading(CertificateFiles files, TimeProvider time, ILogger logger) => new(
        files,
        time,
        loaded => EdgeLog.CertificateLoaded(logger, loaded.Subject, loaded.NotAfter.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture)),
        reason => EdgeLog.CertificateReloadFailed(logger, reason));
}
