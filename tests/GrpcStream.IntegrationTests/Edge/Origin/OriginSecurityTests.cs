using GrpcStream.Rtsp.Client;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Origin;

/// <summary>The origin link secured: mutual TLS with a private CA, and bearer tokens. Real handshakes on loopback.</summary>
public sealed class OriginSecurityTests : IDisposable
{
    private readonly TestCertificates _ca = new();
    private readonly TestCertificates _otherCa = new("Some other CA");

    public void Dispose()
    {
        _ca.Dispose();
        _otherCa.Dispose();
    }

    private string[] MutualTlsOrigin()
    {
        var (certificate, key) = _ca.Issue("origin");
        return [$"Tls:CertificatePath={certificate}", $"Tls:KeyPath={key}", $"Tls:ClientCaPath={_ca.CaPath}"];
    }

    [Fact]
    public async Task The_origin_with_mutual_tls_plays_to_an_edge_with_the_right_certificate()
    {
        var (certificate, key) = _ca.Issue("edge", client: true);
        await using var host = await EdgeTestHost.StartAsync(true, null, MutualTlsOrigin(),
            $"Origin:CaPath={_ca.CaPath}", $"Origin:ClientCertificatePath={certificate}", $"Origin:ClientKeyPath={key}");
        Assert.StartsWith("https://", host.OriginAddress, StringComparison.Ordinal);

        await using var player = await HonestPlayer.StartAsync(host.Url());
        await player.WaitForMoreFramesAsync(5);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("other CA")]
    public async Task The_origin_refuses_an_edge_without_a_certificate_of_its_ca_and_the_edge_says_why(string presented)
    {
        var (certificate, key) = _otherCa.Issue("edge", client: true);
        string[] client = presented == "none" ? [] : [$"Origin:ClientCertificatePath={certificate}", $"Origin:ClientKeyPath={key}"];
        await using var host = await EdgeTestHost.StartAsync(true, null, MutualTlsOrigin(), [$"Origin:CaPath={_ca.CaPath}", .. client]);
        await using var rtsp = await RtspTestClient.ConnectAsync(host.RtspPort);

        var describe = await rtsp.RequestAsync("DESCRIBE", host.Url());

        Assert.Equal(503, describe.StatusCode);
        using var http = new HttpClient();
        var health = await http.GetStringAsync(new Uri(host.HttpAddress + "/healthz"), TestContext.Current.CancellationToken);
        Assert.Contains("the last call to the origin failed", health, StringComparison.Ordinal);
        Assert.Contains(host.Log.Lines, l => l.Contains("Asking the origin about movie.Mjpeg failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_edge_refuses_an_origin_whose_certificate_is_not_from_its_ca()
    {
        var (certificate, key) = _otherCa.Issue("origin");
        await using var host = await EdgeTestHost.StartAsync(true, null, [$"Tls:CertificatePath={certificate}", $"Tls:KeyPath={key}"], $"Origin:CaPath={_ca.CaPath}");
        await using var rtsp = await RtspTestClient.ConnectAsync(host.RtspPort);

        Assert.Equal(503, (await rtsp.RequestAsync("DESCRIBE", host.Url())).StatusCode);
        Assert.Contains(host.Log.Lines, l => l.Contains("TLS handshake with the origin failed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("second-token", 200)]
    [InlineData("wrong", 503)]
    [InlineData(null, 503)]
    public async Task Bearer_tokens_let_in_only_the_edges_that_have_one(string? token, int status)
    {
        string[] edge = token is null ? [] : [$"Origin:Token={token}"];
        await using var host = await EdgeTestHost.StartAsync(true, null, ["Auth:Tokens=first-token,second-token"], edge);
        await using var rtsp = await RtspTestClient.ConnectAsync(host.RtspPort);

        Assert.Equal(status, (await rtsp.RequestAsync("DESCRIBE", host.Url())).StatusCode);
        if (status != 200)
        {
            Assert.Contains(host.Log.Lines, l => l.Contains("the origin refused the edge's credentials (Unauthenticated", StringComparison.Ordinal));
        }
    }
}
