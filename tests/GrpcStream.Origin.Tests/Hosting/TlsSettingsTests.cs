using GrpcStream.Origin.Hosting;
using GrpcStream.ServiceDefaults;
using GrpcStream.Testing;

namespace GrpcStream.Origin.Tests.Hosting;

/// <summary>Origin:Tls against --urls and Kestrel:Endpoints: contradictions stop the start with one line; cleartext on the network is warned of.</summary>
public sealed class TlsSettingsTests : IDisposable
{
    private readonly TestCertificates _ca = new();

    public void Dispose() => _ca.Dispose();

    [Fact]
    public async Task Contradictions_between_tls_settings_and_the_urls_stop_the_start_with_one_line()
    {
        var (certificate, key) = _ca.Issue("origin");
        string[] tls = [$"--Origin:Tls:CertificatePath={certificate}", $"--Origin:Tls:KeyPath={key}"];

        await AssertRefusedAsync([.. tls, "--urls", "http://127.0.0.1:0"], "is not https://");
        await AssertRefusedAsync(["--urls", "https://127.0.0.1:0"], "no certificate is set");
        await AssertRefusedAsync([.. tls, "--urls", "https://127.0.0.1:0", "--Kestrel:Endpoints:Grpc:Url=https://127.0.0.1:0"], "Origin:Tls and Kestrel:Endpoints both");
        await AssertRefusedAsync([$"--Origin:Tls:CertificatePath={certificate}", "--Origin:Tls:KeyPath=/no/such.key", "--urls", "https://127.0.0.1:0"], "Origin:Tls cannot be loaded");
    }

    [Fact]
    public async Task Cleartext_grpc_on_every_address_is_warned_of_and_loopback_is_not()
    {
        await using (var open = await OriginTestHost.StartAsync(null, null, "urls=http://0.0.0.0:0"))
        {
            Assert.Contains(open.Log.Lines, l => l.Contains("gRPC is served in cleartext on http://0.0.0.0:0", StringComparison.Ordinal));
        }

        await using var local = await OriginTestHost.StartAsync();
        Assert.DoesNotContain(local.Log.Lines, l => l.Contains("cleartext", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_renewed_certificate_is_served_to_new_connections_without_a_restart()
    {
        var (certificate, key) = _ca.Issue("origin");
        await using var origin = await OriginTestHost.StartAsync(null, null, "urls=https://127.0.0.1:0", $"Origin:Tls:CertificatePath={certificate}", $"Origin:Tls:KeyPath={key}");
        var port = new Uri(origin.Address).Port;
        Assert.Contains("CN=origin", await PresentedAsync(port), StringComparison.Ordinal);

        _ca.Issue("origin", commonName: "renewed");

        await Eventually.HoldsAsync(async () => (await PresentedAsync(port)).Contains("CN=renewed", StringComparison.Ordinal), "the renewed certificate served");
    }

    private static async Task<string> PresentedAsync(int port)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, GrpcStream.Rtsp.Client.TlsTrust.Validator(null, acceptAny: true));
        await tls.AuthenticateAsClientAsync(
            new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost", ApplicationProtocols = [System.Net.Security.SslApplicationProtocol.Http2] },
            TestContext.Current.CancellationToken);
        return tls.RemoteCertificate!.Subject;
    }

    private static async Task AssertRefusedAsync(string[] args, string expected)
    {
        var error = new StringWriter();

        var exit = await ServiceRunner.RunAsync("origin", () => OriginHost.Build([.. args, "--Origin:Http:Port=0"]), error);

        Assert.Equal(ServiceExitCode.InvalidConfiguration, exit);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }
}
