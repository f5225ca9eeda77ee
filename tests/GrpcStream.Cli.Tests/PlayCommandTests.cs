using System.Net;
using System.Net.Sockets;
using System.Text;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Testing;
using GrpcStream.Cli.Commands;

namespace GrpcStream.Cli.Tests;

public sealed class PlayCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("grpcstream-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public async Task Play_saves_frames_that_ffprobe_reads_and_prints_a_summary(string transport)
    {
        await using var host = await EdgeTestHost.StartAsync();
        var output = Path.Combine(_dir, "out.mjpeg");

        var (exit, run) = await CliRun.RunAsync("play", host.Url(), "--transport", transport, "--frames", "12", "--output", output);

        Assert.Equal(0, exit);
        Assert.Contains("12 frames", run.Out, StringComparison.Ordinal);
        Assert.Contains("0 packets lost", run.Out, StringComparison.Ordinal);
        var probe = Encoding.ASCII.GetString(await ExternalTool.RunAsync("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames,width", "-of", "csv=p=0", "-f", "mjpeg", output]));
        Assert.Equal("320,12", probe.Trim());
    }

    [Fact]
    public async Task A_dot_Mjpeg_output_is_in_the_lab_format_the_origin_reads()
    {
        await using var host = await EdgeTestHost.StartAsync();
        var output = Path.Combine(_dir, "movie.Mjpeg");

        var (exit, _) = await CliRun.RunAsync("play", host.Url(), "-n", "5", "-o", output);

        Assert.Equal(0, exit);
        var bytes = await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken);
        var at = 0;
        var frames = 0;
        while (at < bytes.Length)
        {
            var length = int.Parse(Encoding.ASCII.GetString(bytes, at, 5), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(JpegParser.TryParse(bytes.AsSpan(at + 5, length), out var info));
            Assert.Equal(length, info.Length);
            at += 5 + length;
            frames++;
        }

        Assert.Equal(5, frames);
    }

    [Fact]
    public async Task Duration_stops_playback()
    {
        await using var host = await EdgeTestHost.StartAsync();

        var (exit, run) = await CliRun.RunAsync("play", host.Url(), "--duration", "1", "-t", "tcp");

        Assert.Equal(0, exit);
        Assert.Matches("^[0-9]+ frames, ", run.Out);
    }

    [Fact]
    public async Task Plays_from_gstreamers_rtsp_server_over_udp_and_tcp()
    {
        for (var i = 0; i < 3; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(_dir, $"frame{i}.jpg"), await TestJpegs.CjpegAsync(TestJpegs.Ppm(160, 120, seed: i * 70)), TestContext.Current.CancellationToken);
        }

        using var server = await GStreamerRtspServer.StartAsync(Path.Combine(_dir, "frame%d.jpg"));
        foreach (var transport in new[] { "udp", "tcp" })
        {
            var output = Path.Combine(_dir, $"gst-{transport}.mjpeg");
            var (exit, run) = await CliRun.RunAsync("play", server.Url, "-t", transport, "-n", "8", "-o", output);
            Assert.True(exit == 0, run.Error);
            foreach (var frame in TestJpegs.SplitSimple(await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken)))
            {
                Assert.NotEmpty(await TestJpegs.DecodeAsync(frame));
            }
        }
    }

    [Fact]
    public async Task Describe_and_options_show_what_the_server_says()
    {
        await using var host = await EdgeTestHost.StartAsync();

        var (describeExit, describe) = await CliRun.RunAsync("describe", host.Url());
        var (optionsExit, options) = await CliRun.RunAsync("options", host.Url());

        Assert.Equal(0, describeExit);
        Assert.Contains("video: RTP/AVP payload 26 (JPEG/90000)", describe.Out, StringComparison.Ordinal);
        Assert.Contains("frame rate: 25 fps", describe.Out, StringComparison.Ordinal);
        Assert.Equal(0, optionsExit);
        Assert.Contains("Public: OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, PAUSE, RECORD, TEARDOWN, GET_PARAMETER, SET_PARAMETER", options.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_the_server_no_longer_knows_is_exit_code_4_with_the_454()
    {
        using var server = new ScriptedRtspServer(new() { [GrpcStream.Rtsp.Messages.RtspMethod.Play] = 454 });

        var (exit, run) = await CliRun.RunAsync("play", server.Url, "-t", "tcp");

        Assert.Equal(ExitCodes.RtspError, exit);
        Assert.Equal("grpcstream: PLAY failed: 454 Session Not Found", run.Error.Trim());
    }

    [Fact]
    public async Task Errors_have_their_exit_codes_and_one_line_messages()
    {
        await using var host = await EdgeTestHost.StartAsync();
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var refusedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts connections, never answers

        var (refusedExit, refused) = await CliRun.RunAsync("play", $"rtsp://127.0.0.1:{refusedPort}/movie.Mjpeg");
        var (notFoundExit, notFound) = await CliRun.RunAsync("play", host.Url("nothing.mjpeg"));
        var (timeoutExit, timeout) = await CliRun.RunAsync("describe", $"rtsp://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/x", "--timeout", "1");
        var (usageExit, usage) = await CliRun.RunAsync("play", "--frames", "0", host.Url());

        Assert.Equal((ExitCodes.ConnectionFailed, "grpcstream: cannot connect: Connection refused"), (refusedExit, refused.Error.Trim()));
        Assert.Equal((ExitCodes.RtspError, "grpcstream: DESCRIBE failed: 404 Not Found"), (notFoundExit, notFound.Error.Trim()));
        Assert.Equal(ExitCodes.Timeout, timeoutExit);
        Assert.StartsWith("grpcstream: DESCRIBE rtsp://127.0.0.1:", timeout.Error, StringComparison.Ordinal);
        Assert.Contains("no answer within 1 s", timeout.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, usageExit);
        Assert.Contains("--frames must be at least 1", usage.Error, StringComparison.Ordinal);
    }
}
