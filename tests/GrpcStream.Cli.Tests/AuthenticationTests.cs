using GrpcStream.Cli.Commands;

namespace GrpcStream.Cli.Tests;

/// <summary>Which challenge the client answers when a server (or someone in the middle) offers several.</summary>
public class AuthenticationTests
{
    [Fact]
    public async Task Offered_basic_and_digest_the_client_answers_digest_and_never_sends_the_password()
    {
        using var server = new ScriptedRtspServer(new(), "Basic realm=\"scripted\"", "Digest realm=\"scripted\", nonce=\"0123abcd\"");

        var (exit, run) = await CliRun.RunAsync("describe", server.Url.Replace("rtsp://", "rtsp://viewer:s3cret@", StringComparison.Ordinal));

        Assert.Equal(ExitCodes.Success, exit);
        var authorization = Assert.Single(server.Authorizations);
        Assert.StartsWith("Digest username=\"viewer\"", authorization, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", authorization, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String("viewer:s3cret"u8.ToArray()), authorization, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Error.Trim());
    }

    [Fact]
    public async Task Basic_alone_is_answered_with_a_warning_that_the_password_goes_in_clear()
    {
        using var server = new ScriptedRtspServer(new(), "Basic realm=\"scripted\"");

        var (exit, run) = await CliRun.RunAsync("describe", server.Url.Replace("rtsp://", "rtsp://viewer:s3cret@", StringComparison.Ordinal));

        Assert.Equal(ExitCodes.Success, exit);
        Assert.StartsWith("Basic ", Assert.Single(server.Authorizations), StringComparison.Ordinal);
        Assert.StartsWith("grpcstream: warning: the server accepts only Basic authentication", run.Error.Trim(), StringComparison.Ordinal);
    }
}
