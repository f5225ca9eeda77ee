using GrpcStream.Edge.Tls;
using GrpcStream.Edge.Settings;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace GrpcStream.Edge.Http;

/// <summary>HTTPS on the HTTP port (<c>Edge:Http:CertificatePath</c>), the certificate reloaded when its files change.</summary>
internal static class HttpTls
{
    public static void Use(ListenOptions endpoint, HttpSettings http)
    {
        var services = endpoint.ApplicationServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("GrpcStream.Edge.Http.HttpTls");
        var certificate = ServerCertificate.Reloading(http.Files(), services.GetRequiredService<TimeProvider>(), logger);
        endpoint.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificateSelector = (_, _) => certificate.Current });
    }
}
