using System.Text;
using GrpcStream.Testing;
using GrpcStream.Cli.Commands;

namespace GrpcStream.Cli.Tests;

/// <summary><c>grpcstream hash-password</c>: its hashes log a user in on a real edge.</summary>
public class HashPasswordTests
{
    [Theory]
    [InlineData("argon2:$argon2id$")]
    [InlineData("sha256:")]
    public async Task A_printed_hash_logs_the_user_in_with_basic(string prefix)
    {
        using var run = new CliRun();
        run.Type("correct horse");
        run.EndInput();
        var exit = await run.StartAsync(prefix.StartsWith("sha256", StringComparison.Ordinal) ? ["hash-password", "--sha256"] : ["hash-password"]).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        var hash = run.Out.Trim();

        Assert.Equal(ExitCodes.Success, exit);
        Assert.StartsWith(prefix, hash, StringComparison.Ordinal);
        await using var host = await EdgeTestHost.StartAsync(true, "Auth:Users:0:Name=carol", $"Auth:Users:0:Password={hash}", "Auth:Methods=basic");
        await using var rtsp = await RtspTestClient.ConnectAsync(host.RtspPort);
        string Basic(string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("carol:" + password));

        Assert.Equal(200, (await rtsp.RequestAsync("DESCRIBE", host.Url(), ("Authorization", Basic("correct horse")))).StatusCode);
        Assert.Equal(401, (await rtsp.RequestAsync("DESCRIBE", host.Url(), ("Authorization", Basic("correct hors")))).StatusCode);
    }

    [Fact]
    public async Task An_empty_password_is_a_usage_error()
    {
        var (exit, run) = await CliRun.RunAsync("hash-password");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Equal("grpcstream: the password is empty.", run.Error.Trim());
    }
}
