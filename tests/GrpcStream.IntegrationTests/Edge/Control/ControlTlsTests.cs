using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using GrpcStream.Edge.Hosting;
using GrpcStream.Protos.Edge.V1;
using GrpcStream.Rtsp.Client;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Control;

/// <summary>The control port over TLS with the edge's certificate, and client certificates as credentials.</summary>
public sealed class ControlTlsTests : IDisposable
{
    private readonly TestCertificates _ca = new();

    public void Dispose() => _ca.Dispose();

    [Fact]
    public async Task With_the_edge_certificate_the_control_port_speaks_tls_and_takes_a_token_or_a_client_certificate()
    {
        var (certificate, key) = _ca.Issue("edge");
        var (operatorCertificate, operatorKey) = _ca.Issue("operator", client: true);
        using var strangers = new TestCertificates("Another CA");
        var (strangerCertificate, strangerKey) = strangers.Issue("stranger", client: true);
        await using var host = await EdgeTestHost.StartAsync(
            true, "Rtsps:Port=0", $"Rtsps:CertificatePath={certificate}", $"Rtsps:KeyPath={key}", $"Control:ClientCaPath={_ca.CaPath}", "Control:Tokens=secret");
        var address = host.Edge.ControlAddress();
        Assert.StartsWith("https://127.0.0.1:", address, StringComparison.Ordinal);

        var cleartext = await Assert.ThrowsAsync<RpcException>(() => new EdgeControl.EdgeControlClient(GrpcChannel.ForAddress(address.Replace("https:", "http:", StringComparison.Ordinal))).GetStatsAsync(new GetStatsRequest()).ResponseAsync);
        var nothing = await Assert.ThrowsAsync<RpcException>(() => Client(address).GetStatsAsync(new GetStatsRequest()).ResponseAsync);
        var withToken = await Client(address, token: "secret").GetStatsAsync(new GetStatsRequest());
        var withCertificate = await Client(address, client: (operatorCertificate, operatorKey)).GetStatsAsync(new GetStatsRequest());
        var stranger = await Assert.ThrowsAsync<RpcException>(() => Client(address, client: (strangerCertificate, strangerKey)).GetStatsAsync(new GetStatsRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, cleartext.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, nothing.StatusCode);
        Assert.Equal(("idle", "idle"), (withToken.OriginLink, withCertificate.OriginLink));
        Assert.Equal(StatusCode.Unavailable, stranger.StatusCode); // the handshake is refused
        Assert.Contains(host.Log.Lines, l => l.Contains("Control API: client certificate CN=stranger refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_drain_subcommand_reaches_a_tls_control_port_on_loopback_by_the_configured_certificate()
    {
        var (certificate, key) = _ca.Issue("edge");
        await using var host = await EdgeTestHost.StartAsync(true, "Rtsps:Port=0", $"Rtsps:CertificatePath={certificate}", $"Rtsps:KeyPath={key}");
        var port = new Uri(host.Edge.ControlAddress()).Port;
        var output = new StringWriter();
        var error = new StringWriter();

        var exit = await DrainCommand.RunAsync(
            [$"--Edge:Control:Port={port}", $"--Edge:Rtsps:CertificatePath={certificate}", $"--Edge:Rtsps:KeyPath={key}"], output, error, TestContext.Current.CancellationToken);
        using var other = new TestCertificates("Impostor CA");
        var (impostor, impostorKey) = other.Issue("edge");
        var refusedError = new StringWriter();
        var refused = await DrainCommand.RunAsync(
            [$"--Edge:Control:Port={port}", $"--Edge:Rtsps:CertificatePath={impostor}", $"--Edge:Rtsps:KeyPath={impostorKey}"], TextWriter.Null, refusedError, TestContext.Current.CancellationToken);

        Assert.True(exit == 0, error.ToString());
        Assert.StartsWith("draining: 0 sessions left", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, refused); // a port answering with another certificate is not this edge
        Assert.StartsWith("edge drain: the control API on port ", refusedError.ToString(), StringComparison.Ordinal);
    }

    private EdgeControl.EdgeControlClient Client(string address, string? token = null, (string Certificate, string Key)? client = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = TlsTrust.Validator(_ca.CaPath, acceptAny: false);
        if (client is { } presented)
        {
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(presented.Certificate, presented.Key)];
        }

        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
        return token is null
            ? new EdgeControl.EdgeControlClient(channel)
            : new EdgeControl.EdgeControlClient(channel.Intercept(m =>
            {
                m.Add("authorization", "Bearer " + token);
                return m;
            }));
    }
}
