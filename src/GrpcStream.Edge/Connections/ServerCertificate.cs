using System.Security.Cryptography.X509Certificates;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Hosting;

namespace GrpcStream.Edge.Connections;

/// <summary>
/// The RTSPS certificate, reloaded when its files change: each handshake looks at their modification times (at
/// most once a second), so a renewed certificate is served to new connections with no restart, and connections
/// already open keep theirs. A file that fails to load keeps the previous certificate in use, and says so.
/// </summary>
internal sealed class ServerCertificate(RtspsSettings settings, TimeProvider time, ILogger logger) : IDisposable
{
    private readonly Lock _gate = new();
    private X509Certificate2? _current;
    private (DateTime Certificate, DateTime Key) _loadedStamps;
    private long _checkedAt;

    /// <exception cref="System.Security.Cryptography.CryptographicException">Not a certificate, or the key does not match.</exception>
    public static X509Certificate2 Load(RtspsSettings settings)
    {
        var path = settings.CertificatePath!;
        if (settings.KeyPath is { } key)
        {
            // Re-imported as PKCS#12 so the key is usable by SslStream on every platform.
            using var pem = X509Certificate2.CreateFromPemFile(path, key);
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }

        return X509CertificateLoader.LoadPkcs12FromFile(path, settings.CertificatePassword);
    }

    /// <summary>The certificate to present now.</summary>
    public X509Certificate2 Current
    {
        get
        {
            lock (_gate)
            {
                var now = time.GetTimestamp();
                if (_current is null || time.GetElapsedTime(_checkedAt, now) >= TimeSpan.FromSeconds(1))
                {
                    _checkedAt = now;
                    var stamps = Stamps();
                    if (_current is null || stamps != _loadedStamps)
                    {
                        Reload(stamps);
                    }
                }

                return _current!;
            }
        }
    }

    private (DateTime, DateTime) Stamps() =>
        (File.GetLastWriteTimeUtc(settings.CertificatePath!), settings.KeyPath is { } key ? File.GetLastWriteTimeUtc(key) : default);

    private void Reload((DateTime, DateTime) stamps)
    {
        try
        {
            var loaded = Load(settings);
            // The old one is not disposed: connections mid-handshake may still hold it.
            _current = loaded;
            _loadedStamps = stamps;
            EdgeLog.CertificateLoaded(logger, loaded.Subject, loaded.NotAfter.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture));

        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            if (_current is null)
            {
                throw;
            }

            // Half-written files during a renewal: keep serving the old certificate and look again next time.
            EdgeLog.CertificateReloadFailed(logger, ex.Message);
        }
    }

    public void Dispose() => _current?.Dispose();
}
