using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GrpcStream.Testing;

/// <summary>
/// A private CA and certificates it signs, written as PEM files in a temporary folder (as scripts/make-certs.sh
/// lays them out): for TLS tests with real handshakes.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly RSA _caKey = RSA.Create(2048);

    public TestCertificates(string name = "GrpcStream test CA")
    {
        Folder = Directory.CreateTempSubdirectory("grpcstream-certs-").FullName;
        var request = new CertificateRequest($"CN={name}", _caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        CaPath = Path.Combine(Folder, "ca.crt");
        File.WriteAllText(CaPath, Ca.ExportCertificatePem());
    }

    public string Folder { get; }

    public X509Certificate2 Ca { get; }

    public string CaPath { get; }

    /// <summary>Issues a certificate for localhost and 127.0.0.1; writes NAME.crt and NAME.key; returns both paths.</summary>
    public (string Certificate, string Key) Issue(string name, bool client = false, string? commonName = null)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName ?? name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [client ? new Oid("1.3.6.1.5.5.7.3.2") : new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = request.Create(Ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(8));
        var certificate = Path.Combine(Folder, name + ".crt");
        var keyPath = Path.Combine(Folder, name + ".key");

        // Written whole and then moved, as a renewal tool would: a reader never sees half a file.
        File.WriteAllText(certificate + ".tmp", issued.ExportCertificatePem());
        File.WriteAllText(keyPath + ".tmp", key.ExportPkcs8PrivateKeyPem());
        File.Move(keyPath + ".tmp", keyPath, overwrite: true);
        File.Move(certificate + ".tmp", certificate, overwrite: true);
        return (certificate, keyPath);
    }

    public void Dispose()
    {
        Ca.Dispose();
        _caKey.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
