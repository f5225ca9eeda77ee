using System.Globalization;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge;

/// <summary>
/// Origin and edge as their own processes on loopback, serving two streams whose frames the tests know:
/// <c>movie.Mjpeg</c> (lab format, 320x240) and <c>second.mjpeg</c> (concatenated JPEG, 176x144).
/// </summary>
public sealed class StreamingSystem : IAsyncLifetime
{
    private readonly string _media = Directory.CreateTempSubdirectory("grpcstream-system-").FullName;

    public ServiceProcess Origin { get; private set; } = null!;

    public ServiceProcess Edge { get; private set; } = null!;

    public int OriginPort { get; } = FreePorts.Tcp();

    public int OriginHttpPort { get; } = FreePorts.Tcp();

    public int RtspPort { get; } = FreePorts.Tcp();

    public int EdgeHttpPort { get; } = FreePorts.Tcp();

    public int RtpPort { get; } = FreeEvenPort();

    /// <summary>What djpeg decodes each source frame of a stream to.</summary>
    public Dictionary<string, List<byte[]>> DecodedFrames { get; } = new(StringComparer.Ordinal);

    public string Url(string stream = "movie.Mjpeg") => $"rtsp://127.0.0.1:{RtspPort}/{stream}";

    public async ValueTask InitializeAsync()
    {
        var movie = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(50, 320, 240));
        var second = await TestJpegs.FfmpegFramesAsync(30, 176, 144);
        await File.WriteAllBytesAsync(Path.Combine(_media, "movie.Mjpeg"), TestJpegs.LengthPrefixed(movie));
        await File.WriteAllBytesAsync(Path.Combine(_media, "second.mjpeg"), second);
        DecodedFrames["movie.Mjpeg"] = [.. await Task.WhenAll(movie.Select(TestJpegs.DecodeAsync))];
        DecodedFrames["second.mjpeg"] = [.. await Task.WhenAll(TestJpegs.SplitSimple(second).Select(TestJpegs.DecodeAsync))];
        StartOrigin();
        await Origin.WaitHealthyAsync($"http://127.0.0.1:{OriginHttpPort}/healthz");
        Edge = ServiceProcess.Start("Edge",
        [
            "--rtsp-port", Port(RtspPort), "--http-port", Port(EdgeHttpPort), "--rtp-port", Port(RtpPort), "--Edge:Control:Port=0",
            "--origin", $"http://127.0.0.1:{OriginPort}",
            "--Edge:Rtsp:RequestTimeout=00:00:02", "--Edge:Rtsp:MaxConnections=60",
            "--Edge:Origin:RetryMaxDelay=00:00:01",
        ]);
        await Edge.WaitHealthyAsync($"http://127.0.0.1:{EdgeHttpPort}/healthz");
    }

    /// <summary>Starts (or restarts) the origin on the same ports and media root.</summary>
    public void StartOrigin() =>
        Origin = ServiceProcess.Start("Origin", ["--media-root", _media, "--urls", $"http://127.0.0.1:{OriginPort}", "--http-port", Port(OriginHttpPort)]);

    public async ValueTask DisposeAsync()
    {
        await Edge.DisposeAsync();
        await Origin.DisposeAsync();
        Directory.Delete(_media, recursive: true);
    }

    /// <summary>True when <paramref name="decoded"/> is pixel for pixel one of the stream's source frames.</summary>
    public bool IsSourceFrame(string stream, byte[] decoded) => DecodedFrames[stream].Any(f => f.AsSpan().SequenceEqual(decoded));

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>An even UDP port whose odd neighbour is free too, for the edge's RTP/RTCP pair.</summary>
    private static int FreeEvenPort()
    {
        var (rtp, rtcp) = GrpcStream.Rtsp.Rtp.UdpPortPair.Bind(System.Net.IPAddress.Any, 0);
        using (rtp)
        using (rtcp)
        {
            return ((System.Net.IPEndPoint)rtp.LocalEndPoint!).Port;
        }
    }
}
