using System.Security.Cryptography.X509Certificates;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Hosting;
using GrpcStream.ServiceDefaults.Tls;

namespace GrpcStream.Edge.Connections;

/// <summary>The RTSPS certificate (<c>Edge:Rtsps</c>), reloaded when its files change.</summary>
internal static class ServerCertificate
{
    public static CertificateFiles Files(RtspsSettings settings) => new(settings.CertificatePath!, settings.KeyPath, settings.CertificatePassword);

    public static ReloadingCertificate Reloading(RtspsSettings settings, TimeProvider time, ILogger logger) => new(
        Files(settings),
        time,
        loaded => EdgeLog.CertificateLoaded(logger, loaded.Subject, loaded.NotAfter.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture)),
        reason => EdgeLog.CertificateReloadFailed(logger, reason));

    /// <summary>Loads the files once, for checking them at start-up.</summary>
    public static X509Certificate2 Load(RtspsSettings settings) => Files(settings).Load();
}
