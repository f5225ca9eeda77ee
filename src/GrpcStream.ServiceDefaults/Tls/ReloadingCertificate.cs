using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GrpcStream.ServiceDefaults.Tls;

/// <summary>Where a certificate and its key live: a PEM pair, or a PFX with an optional password.</summary>
public sealed record CertificateFiles(string CertificatePath, string? KeyPath, string? Password = null)
{
    /// <exception cref="CryptographicException">Not a certificate, or the key does not match.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public X509Certificate2 Load()
    {
        if (KeyPath is { } key)
        {
            // Re-imported as PKCS#12 so the key is usable by SslStream on every platform.
            using var pem = X509Certificate2.CreateFromPemFile(CertificatePath, key);
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }

        return X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, Password);
    }

    /// <summary>
    /// What identifies this version of the files: a hash of their contents (a few kilobytes), not their times, which
    /// a copy can keep (cp -p) and a coarse file system can leave equal across a quick renewal.
    /// </summary>
    public string Stamp()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(File.ReadAllBytes(CertificatePath));
        if (KeyPath is { } key)
        {
            hash.AppendData(File.ReadAllBytes(key));
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }
}

/// <summary>
/// A certificate reloaded when its files change: each use looks at their contents (at most once a second), so a renewed certificate is used for new handshakes with no restart, and connections already open keep
/// theirs. Files that fail to load (half-written during a renewal) keep the previous certificate in use.
/// </summary>
public sealed class ReloadingCertificate(CertificateFiles files, TimeProvider time, Action<X509Certificate2> loaded, Action<string> reloadFailed)
{
    private readonly Lock _gate = new();
    private X509Certificate2? _current;
    private string? _loadedStamp;
    private long _checkedAt;

    /// <summary>The certificate to use now.</summary>
    /// <exception cref="CryptographicException">The first load failed.</exception>
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
                    var stamp = Stamp();
                    if (_current is null || stamp != _loadedStamp)
                    {
                        Reload(stamp);
                    }
                }

                return _current!;
            }
        }
    }

    // A file being replaced may be missing for a moment: keep the current certificate rather than fail a handshake.
    private string? Stamp()
    {
        try
        {
            return files.Stamp();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (_current is null)
            {
                throw;
            }

            reloadFailed(ex.Message);
            return _loadedStamp;
        }
    }

    private void Reload(string? stamp)
    {
        try
        {
            // The old one is not disposed: connections mid-handshake may still hold it.
            _current = files.Load();
            _loadedStamp = stamp;
            loaded(_current);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            if (_current is null)
            {
                throw;
            }

            reloadFailed(ex.Message);
        }
    }
}

/// <summary>A set of CA certificates read from a PEM file and reloaded when it changes, for checking peers' chains.</summary>
public sealed class ReloadingTrust(string caPath, TimeProvider time)
{
    private readonly Lock _gate = new();
    private X509Certificate2Collection? _roots;
    private string? _stamp;
    private long _checkedAt;

    /// <summary>
    /// A TLS server's check of client certificates: true for one the CAs issued; otherwise
    /// <paramref name="refused"/> is told the subject and why, and the handshake fails.
    /// </summary>
    public Func<X509Certificate2, X509Chain?, System.Net.Security.SslPolicyErrors, bool> ClientValidator(Action<string, string> refused)
    {
        ArgumentNullException.ThrowIfNull(refused);
        return (client, _, _) =>
        {
            if (Trusts(client, out var why))
            {
                return true;
            }

            refused(client.Subject, why);
            return false;
        };
    }

    /// <summary>Whether <paramref name="certificate"/> chains to one of the CAs (and is within its validity).</summary>
    public bool Trusts(X509Certificate2 certificate, out string why)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(Roots());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(certificate))
        {
            why = string.Empty;
            return true;
        }

        why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return false;
    }

    private X509Certificate2Collection Roots()
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (_roots is null || time.GetElapsedTime(_checkedAt, now) >= TimeSpan.FromSeconds(1))
            {
                _checkedAt = now;
                var stamp = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(caPath)));
                if (_roots is null || stamp != _stamp)
                {
                    var roots = new X509Certificate2Collection();
                    roots.ImportFromPemFile(caPath);
                    (_roots, _stamp) = (roots, stamp);
                }
            }

            return _roots;
        }
    }
}
