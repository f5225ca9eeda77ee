using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Testing;
using GrpcStream.Cli.Commands;

namespace GrpcStream.Cli.Tests;

/// <summary>A server that lies or floods gets a clear message and exit code, and no forged frame reaches a file.</summary>
public sealed class HostileServerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("grpcstream-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_body_of_a_gigabyte_is_refused_with_the_protocol_error_exit_code()
    {
        using var server = new ScriptedRtspServer(new()) { DescribeContentLength = 999_999_999 };

        var (exit, run) = await CliRun.RunAsync("describe", server.Url);

        Assert.Equal(ExitCodes.ProtocolError, exit);
        Assert.Equal("grpcstream: the server broke the protocol: Content-Length 999999999 is over the limit of 65536.", run.Error.Trim());
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public async Task Play_writes_only_the_sessions_frames_and_says_what_it_rejected(string transport)
    {
        var honest = await TestJpegs.CjpegAsync(TestJpegs.Ppm(64, 48, seed: 1));
        await using var server = new HostileRtspServer(honest, await TestJpegs.CjpegAsync(TestJpegs.Ppm(128, 96, seed: 2)));
        var output = Path.Combine(_dir, $"{transport}.mjpeg");

        var (exit, run) = await CliRun.RunAsync("play", server.Url, "-t", transport, "-n", "5", "-o", output);

        Assert.True(exit == ExitCodes.Success, run.Error);
        var frames = TestJpegs.SplitSimple(await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken));
        Assert.Equal(5, frames.Count);
        Assert.All(frames, f => Assert.Equal(64, JpegParser.TryParse(f, out var info) ? info.Width : 0));
        Assert.Matches("[1-9][0-9]* packets rejected", run.Out);
    }

    /// <summary>
    /// RTP from another address than the RTSP server's, the only one (Docker's published ports): played. A third
    /// address sending forged frames with the session's SSRC from the announced port number once the first has
    /// been latched: refused and counted, whether the session's RTP comes from the server's address or another.
    /// </summary>
    [Theory]
    [InlineData("127.0.0.2", null)]
    [InlineData("127.0.0.1", "127.0.0.3")]
    [InlineData("127.0.0.2", "127.0.0.3")]
    public async Task Udp_media_is_taken_from_the_servers_address_or_the_one_latched_and_an_injector_is_refused(string rtpFrom, string? injectFrom)
    {
        var honest = await TestJpegs.CjpegAsync(TestJpegs.Ppm(64, 48, seed: 1));
        await using var server = new HostileRtspServer(honest, await TestJpegs.CjpegAsync(TestJpegs.Ppm(128, 96, seed: 2)), rtpFrom, injectFrom);
        var output = Path.Combine(_dir, $"latched-{rtpFrom}-{injectFrom}.mjpeg");

        var (exit, run) = await CliRun.RunAsync("play", server.Url, "-t", "udp", "-n", "8", "-o", output);

        Assert.True(exit == ExitCodes.Success, run.Error);
        var frames = TestJpegs.SplitSimple(await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken));
        Assert.Equal(8, frames.Count);
        Assert.All(frames, f => Assert.Equal(64, JpegParser.TryParse(f, out var info) ? info.Width : 0));
        Assert.Matches("[1-9][0-9]* packets rejected", run.Out);
    }
}
