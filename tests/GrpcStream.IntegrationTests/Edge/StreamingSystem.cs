using System.Globalization;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge;

/// <summary>
/// Origin(s) and edge as their own processes on loopback, serving two streams whose frames the tests know:
/// <c>movie.Mjpeg</c> (lab format, 320x240) and <c>second.mjpeg</c> (concatenated JPEG, 176x144). With several
/// origins, every one serves the same media and the edge lists them all, the first preferred.
/// </summary>
public sealed class StreamingSystem : IAsyncLifetime
{
    private readonly string _media = Directory.CreateTempSubdirectory("grpcstream-system-").FullName;
    private readonly ServiceProcess?[] _origins;
    private readonly (int Grpc, int Http)[] _originPorts;
    private readonly string[] _edgeSettings;

    public StreamingSystem()
        : this(1)
    {
    }

    /// <param name="origins">How many origins.</param>
    /// <param name="edgeSettings">Extra edge command-line arguments.</param>
    internal StreamingSystem(int origins, params string[] edgeSettings)
    {
        _origins = new ServiceProcess?[origins];
        _originPorts = [.. Enumerable.Range(0, origins).Select(_ => (FreePorts.Tcp(), FreePorts.Tcp()))];
        _edgeSettings = edgeSettings;
    }

    /// <summary>The (first) origin.</summary>
    public ServiceProcess Origin => OriginAt(0);

    /// <summary>Origin <paramref name="index"/> (0 is the preferred one).</summary>
    public ServiceProcess OriginAt(int index) => _origins[index] ?? throw new InvalidOperationException($"origin {index} is not running");

    public ServiceProcess Edge { get; private set; } = null!;

    public int OriginPort => _originPorts[0].Grpc;

    public int OriginHttpPort => _originPorts[0].Http;

    /// <summary>The gRPC address of origin <paramref name="index"/>.</summary>
    public string OriginAddress(int index) => $"http://127.0.0.1:{_originPorts[index].Grpc}";

    public int RtspPort { get; } = FreePorts.Tcp();

    public int EdgeHttpPort { get; } = FreePorts.Tcp();

    public int RtpPort { get; } = FreePorts.UdpPair();

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
        for (var i = 0; i < _origins.Length; i++)
        {
            await StartOriginAsync(i);
        }

        Edge = ServiceProcess.Start("Edge",
        [
            "--rtsp-port", Port(RtspPort), "--http-port", Port(EdgeHttpPort), "--rtp-port", Port(RtpPort), "--Edge:Control:Port=0",
            .. _origins.Length == 1
                ? (string[])["--origin", OriginAddress(0)]
                : [.. _origins.Select((_, i) => $"--Edge:Origin:Addresses:{i}={OriginAddress(i)}")],
            "--Edge:Rtsp:RequestTimeout=00:00:02", "--Edge:Rtsp:MaxConnections=60",
            "--Edge:Origin:RetryMaxDelay=00:00:01",
            .. _edgeSettings,
        ]);
        await Edge.WaitHealthyAsync(EdgeHealthUrl);
    }

    public string EdgeHealthUrl => $"http://127.0.0.1:{EdgeHttpPort}/healthz";

    /// <summary>Starts (or restarts) the origin on the same ports and media root.</summary>
    public void StartOrigin() => StartOriginProcess(0);

    /// <summary>Starts (or restarts) origin <paramref name="index"/> on its ports, and waits until it is healthy.</summary>
    public async Task StartOriginAsync(int index)
    {
        StartOriginProcess(index);
        await OriginAt(index).WaitHealthyAsync($"http://127.0.0.1:{_originPorts[index].Http}/healthz");
    }

    /// <summary>Kills origin <paramref name="index"/> at once (SIGKILL), as a crash would.</summary>
    public async Task KillOriginAsync(int index)
    {
        var origin = OriginAt(index);
        origin.Kill();
        await origin.DisposeAsync();
        _origins[index] = null;
    }

    private void StartOriginProcess(int index) =>
        _origins[index] = ServiceProcess.Start("Origin", ["--media-root", _media, "--urls", OriginAddress(index), "--http-port", Port(_originPorts[index].Http)]);

    public async ValueTask DisposeAsync()
    {
        await Edge.DisposeAsync();
        foreach (var origin in _origins)
        {
            if (origin is not null)
            {
                await origin.DisposeAsync();
            }
        }

        Directory.Delete(_media, recursive: true);
    }

    /// <summary>True when <paramref name="decoded"/> is pixel for pixel one of the stream's source frames.</summary>
    public bool IsSourceFrame(string stream, byte[] decoded) => DecodedFrames[stream].Any(f => f.AsSpan().SequenceEqual(decoded));

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
