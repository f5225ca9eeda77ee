using GrpcStream.Cli.Commands;

namespace GrpcStream.Cli.Tests;

/// <summary>What a server sends cannot drive the terminal the CLI prints to.</summary>
public class PrintableOutputTests
{
    private const string Escape = "\u001b";

    [Fact]
    public async Task Control_characters_in_a_reason_phrase_are_shown_escaped()
    {
        using var server = new ScriptedRtspServer(new() { [GrpcStream.Rtsp.Messages.RtspMethod.Describe] = 404 })
        {
            ReasonPhrase = $"Not Found{Escape}]0;owned{"\u0007"}{Escape}[2J",
        };

        var (exit, run) = await CliRun.RunAsync("describe", server.Url);

        Assert.Equal(ExitCodes.RtspError, exit);
        Assert.Equal(@"grpcstream: DESCRIBE failed: 404 Not Found\x1B]0;owned\x07\x1B[2J", run.Error.Trim());
    }

    [Fact]
    public async Task Control_characters_in_an_sdp_are_shown_escaped_and_its_lines_kept()
    {
        using var server = new ScriptedRtspServer(new())
        {
            Description = $"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=title{Escape}[31mred\r\nt=0 0\r\nm=video 0 RTP/AVP 26\r\na=control:track1\r\n",
        };

        var (exit, run) = await CliRun.RunAsync("describe", server.Url, "--raw");

        Assert.Equal(ExitCodes.Success, exit);
        Assert.DoesNotContain(Escape, run.Out, StringComparison.Ordinal);
        Assert.Contains(@"s=title\x1B[31mred" + "\n", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", run.Out, StringComparison.Ordinal);
    }
}
