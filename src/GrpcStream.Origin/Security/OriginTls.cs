using GrpcStream.ServiceDefaults.Tls;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using GrpcStream.Origin.Diagnostics;

namespace GrpcStream.Origin.Security;

/// <summary>The origin's TLS settings (<c>Origin:Tls</c>): its certificate and, for mutual TLS, the CA of its clients.</summary>
public sealed class OriginTlsSettings
{
    /// <summary>A PEM certificate with <see cref="KeyPath"/>, or a PFX with <see cref="CertificatePassword"/>. Reloaded when it changes.</summary>
    public string? CertificatePath { get; set; }

    public string? KeyPath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>A PEM file of CA certificates: when set, every gRPC client must present a certificate signed by one.</summary>
    public string? ClientCaPath { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(CertificatePath);
}

/// <summary>
/// Puts TLS (and mutual TLS) on the gRPC endpoint given by <c>--urls</c>, which must then be https://. A
/// contradiction (TLS settings with an http:// URL, an https:// URL without them, or both these settings and
/// Kestrel:Endpoints) stops the start with one line.
/// </summary>
internal static class OriginTls
{
    public static void Configure(WebApplicationBuilder builder, string grpcUrl)
    {
        var settings = builder.Configuration.GetSection("Origin:Tls").Get<OriginTlsSettings>() ?? new();
        var https = grpcUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        var kestrelEndpoints = builder.Configuration.GetSection("Kestrel:Endpoints").Exists();
        if (!settings.Enabled)
        {
            if (kestrelEndpoints || builder.Configuration.GetSection("Kestrel:Certificates:Default").Exists())
            {
                return; // Kestrel's own settings say what they serve, TLS included
            }

            if (https)
            {
                Fail($"--urls {grpcUrl} is https://, but no certificate is set (Origin:Tls:CertificatePath)");
            }

            return;
        }

        if (kestrelEndpoints)
        {
            Fail("Origin:Tls and Kestrel:Endpoints both configure the endpoints: use one of them");
        }

        if (!https)
        {
            Fail($"Origin:Tls:CertificatePath is set, but --urls {grpcUrl} is not https://");
        }

        var files = new CertificateFiles(settings.CertificatePath!, settings.KeyPath, settings.CertificatePassword);
        try
        {
            using var check = files.Load();
            if (settings.ClientCaPath is { } ca)
            {
                new ReloadingTrust(ca, TimeProvider.System).Trusts(check, out _);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            Fail($"Origin:Tls cannot be loaded: {ex.Message}");
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(options =>
        {
            var logger = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("GrpcStream.Origin.Tls");
            var certificate = new ReloadingCertificate(
                files,
                TimeProvider.System,
                loaded => OriginLog.CertificateLoaded(logger, loaded.Subject, loaded.NotAfter.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture)),
                reason => OriginLog.CertificateReloadFailed(logger, reason));
            options.ServerCertificateSelector = (_, _) => certificate.Current;
            if (settings.ClientCaPath is { } caPath)
            {
                options.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                options.ClientCertificateValidation = new ReloadingTrust(caPath, TimeProvider.System)
                    .ClientValidator((subject, why) => OriginLog.ClientCertificateRefused(logger, subject, why));
            }
        }));
    }

    private static void Fail(string reason) =>
        throw new OptionsValidationException("Origin", typeof(OriginTlsSettings), [reason]);
}
