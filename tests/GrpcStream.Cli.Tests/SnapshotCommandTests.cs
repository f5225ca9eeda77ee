using GrpcStream.Testing;
using GrpcStream.Cli.Commands;

namespace GrpcStream.Cli.Tests;

/// <summary><c>grpcstream snapshot</c> against a real edge, over RTSP and HTTP.</summary>
public sealed class SnapshotCommandTests : IDisposable
{
    private static readonly string[] ShortSample = ["Sample:FrameCount=25"];
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("grpcstream-snapshot-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Theory]
    [InlineData("rtsp", "udp")]
    [InlineData("rtsp", "tcp")]
    [InlineData("http-jpg", "")]
    [InlineData("http-mjpeg", "")]
    public async Task A_snapshot_is_one_whole_frame_that_djpeg_decodes(string how, string transport)
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, ShortSample);
        var file = Path.Combine(_dir.FullName, $"{how}{transport}.jpg");
        var url = how switch
        {
            "rtsp" => host.Url(),
            "http-jpg" => $"{host.HttpAddress}/streams/movie.Mjpeg.jpg",
            _ => $"{host.HttpAddress}/streams/movie.Mjpeg.mjpeg",
        };
        string[] args = transport.Length > 0 ? ["snapshot", url, "-o", file, "-t", transport] : ["snapshot", url, "-o", file];

        var (exit, run) = await CliRun.RunAsync(args);

        Assert.True(exit == 0, run.Error);
        var jpeg = await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken);
        Assert.Equal($"saved a 320x240 JPEG of {jpeg.Length} bytes to {file}\n", run.Out.ReplaceLineEndings("\n"));
        var image = await ExternalTool.RunAsync("djpeg", ["-pnm"], jpeg);
        Assert.Equal(15 + (320 * 240 * 3), image.Length);
    }

    [Fact]
    public async Task Over_https_the_servers_certificate_is_checked_against_the_ca_given()
    {
        using var ca = new TestCertificates();
        var (certificate, key) = ca.Issue("edge");
        await using var host = await EdgeTestHost.StartAsync(true, null, ShortSample, $"Http:CertificatePath={certificate}", $"Http:KeyPath={key}");
        var url = $"{host.HttpAddress}/streams/movie.Mjpeg.jpg";
        Assert.StartsWith("https://", url, StringComparison.Ordinal);
        var file = Path.Combine(_dir.FullName, "tls.jpg");

        var (untrusted, refused) = await CliRun.RunAsync("snapshot", url, "-o", file);
        Assert.Equal(ExitCodes.ConnectionFailed, untrusted);
        Assert.StartsWith("grpcstream: cannot connect: ", refused.Error, StringComparison.Ordinal);

        var (exit, run) = await CliRun.RunAsync("snapshot", url, "-o", file, "--ca", ca.CaPath);
        Assert.True(exit == 0, run.Error);
        Assert.StartsWith("saved a 320x240 JPEG of ", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task What_cannot_be_had_is_one_line_and_its_exit_code()
    {
        await using var host = await EdgeTestHost.StartAsync(true, null, ShortSample);
        var file = Path.Combine(_dir.FullName, "none.jpg");

        var (notFound, run) = await CliRun.RunAsync("snapshot", $"{host.HttpAddress}/streams/nothing.jpg", "-o", file);
        Assert.Equal((ExitCodes.RtspError, "grpcstream: HTTP 404 Not Found: no stream 'nothing'\n"), (notFound, run.Error.ReplaceLineEndings("\n")));

        var (rtspNotFound, rtsp) = await CliRun.RunAsync("snapshot", host.Url("nothing"), "-o", file);
        Assert.Equal(ExitCodes.RtspError, rtspNotFound);
        Assert.Contains("404", rtsp.Error, StringComparison.Ordinal);

        var (usage, ftp) = await CliRun.RunAsync("snapshot", "ftp://example.com/x", "-o", file);
        Assert.Equal((ExitCodes.Usage, "grpcstream: not an rtsp://, rtsps://, http:// or https:// URL: ftp://example.com/x\n"), (usage, ftp.Error.ReplaceLineEndings("\n")));
        Assert.False(File.Exists(file));
    }
}
