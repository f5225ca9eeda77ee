using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace GrpcStream.Rtsp.Client;

/// <summary>How a client decides to trust a TLS server: the system's roots, a private CA, or (asked for) anything.</summary>
public static class TlsTrust
{
    /// <summary>
    /// A validation callback: with <paramref name="caPath"/> the chain may end in one of its certificates (a private
    /// CA, as <c>scripts/make-certs.sh</c> makes); the host name must match either way.
    /// </summary>
    public static RemoteCertificateValidationCallback Validator(string? caPath, bool acceptAny)
    {
        if (acceptAny)
        {
#pragma warning disable CA5359 // Asked for by the caller (acceptAny), for a server whose certificate cannot be checked.
            return (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        if (caPath is null)
        {
            return (_, _, _, errors) => errors == SslPolicyErrors.None;
        }

        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(caPath);
        return (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
            {
                return false;
            }

            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
    }
}
