using System.Security.Cryptography.X509Certificates;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Hosting;
using GrpcStream.ServiceDefaults.Tls;

namespace GrpcStream.Edge.Connections;

/// <summary>The edge's certificates (<c>Edge:Rtsps</c>, <c>Edge:Http</c>), reloaded when their files change.</summary>
internal static class ServerCertificate
{
    public static CertificateFiles Files(RtspsSettings settings) => new(settings.CertificatePath!, settings.KeyPath, settings.CertificatePassword);

    public static CertificateFiles Files(HttpSettings settings) => new(settings.CertificatePath!, settings.KeyPath, settings.CertificatePassword);

    public static ReloadingCertificate Reloading(RtspsSettings settings, TimeProvider time, ILogger logger) => Reloading(Files(settings), time, logger);

    public static ReloadingCertificate Reloading(CertificateFiles files, TimeProvider time, ILogger logger) => new(
        files,
        time,
        loaded => EdgeLog.CertificateLoaded(logger, loaded.Subject, loaded.NotAfter.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture)),
        reason => EdgeLog.CertificateReloadFailed(logger, reason));

    /// <summary>Loads the files once, for checking them at start-up.</summary>
    public static X509Certificate2 Load(RtspsSettings settings) => Files(settings).Load();
}
