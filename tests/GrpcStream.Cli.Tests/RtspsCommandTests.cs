using GrpcStream.Edge.Hosting;
using GrpcStream.Testing;
using GrpcStream.Cli.Commands;

namespace GrpcStream.Cli.Tests;

/// <summary><c>grpcstream</c> over rtsps:// with a user: --ca, --insecure, --user with GRPCSTREAM_PASSWORD.</summary>
public sealed class RtspsCommandTests : IDisposable
{
    private readonly TestCertificates _ca = new();

    public void Dispose() => _ca.Dispose();

    [Fact]
    public async Task Plays_over_rtsps_with_the_ca_or_insecure_and_refuses_an_unknown_certificate()
    {
        var (certificate, key) = _ca.Issue("rtsps");
        await using var host = await EdgeTestHost.StartAsync(true, "Rtsps:Port=0", $"Rtsps:CertificatePath={certificate}", $"Rtsps:KeyPath={key}",
            "Auth:Users:0:Name=viewer", "Auth:Users:0:Password=s3cret");
        var url = $"rtsps://viewer:s3cret@localhost:{host.Edge.RtspsPort()}/movie.Mjpeg";

        var (trusted, trustedRun) = await CliRun.RunAsync("play", url, "--ca", _ca.CaPath, "-n", "3");
        var (insecure, insecureRun) = await CliRun.RunAsync("play", url, "--insecure", "-n", "3");
        var (refused, refusedRun) = await CliRun.RunAsync("describe", url);

        Assert.True(trusted == ExitCodes.Success, trustedRun.Error);
        Assert.True(insecure == ExitCodes.Success, insecureRun.Error);
        Assert.Equal(ExitCodes.Failure, refused);
        Assert.StartsWith("grpcstream: TLS with localhost:", refusedRun.Error, StringComparison.Ordinal);
        Assert.Contains("--ca FILE", refusedRun.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_without_a_password_to_be_had_is_a_usage_error()
    {
        var (exit, run) = await CliRun.RunAsync("describe", "rtsp://127.0.0.1:9/x", "--user", "viewer");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("GRPCSTREAM_PASSWORD", run.Error, StringComparison.Ordinal);
    }
}
