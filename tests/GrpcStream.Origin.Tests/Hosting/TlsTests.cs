using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using GrpcStream.Protos.Origin.V1;

namespace GrpcStream.Origin.Tests.Hosting;

public class TlsTests
{
    [Fact]
    public async Task A_kestrel_tls_endpoint_serves_grpc_and_healthz()
    {
        using var certificate = SelfSigned();
        var pfx = Path.Combine(Path.GetTempPath(), $"grpcstream-{Guid.NewGuid():N}.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "secret"), TestContext.Current.CancellationToken);
        try
        {
            await using var origin = await OriginTestHost.StartAsync(null, null,
                "Kestrel:Endpoints:Grpc:Url=https://127.0.0.1:0",
                $"Kestrel:Endpoints:Grpc:Certificate:Path={pfx}",
                "Kestrel:Endpoints:Grpc:Certificate:Password=secret");
            Assert.StartsWith("https://", origin.Address, StringComparison.Ordinal);

            // Trust exactly this certificate.
            SocketsHttpHandler Trusting()
            {
                var handler = new SocketsHttpHandler();
                handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString();
                return handler;
            }

            using var channel = GrpcChannel.ForAddress(origin.Address, new GrpcChannelOptions { HttpHandler = Trusting() });
            var streams = await new MediaOrigin.MediaOriginClient(channel).ListStreamsAsync(new ListStreamsRequest());
            using var http = new HttpClient(Trusting());
            using var health = await http.GetAsync(new Uri(origin.Address + "/healthz"), TestContext.Current.CancellationToken);

            Assert.Equal("movie.Mjpeg", Assert.Single(streams.Streams).Name);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            File.Delete(pfx);
        }
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=grpcstream-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }
}
