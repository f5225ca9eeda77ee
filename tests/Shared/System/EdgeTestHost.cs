extern alias origin;
using GrpcStream.Edge.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OriginHost = origin::GrpcStream.Origin.Hosting.OriginHost;

namespace GrpcStream.Testing;

/// <summary>A real origin and a real edge in this process, on loopback ports the OS chose.</summary>
public sealed class EdgeTestHost : IAsyncDisposable
{
    private EdgeTestHost(WebApplication? origin, WebApplication edge, string originAddress)
    {
        Origin = origin;
        Edge = edge;
        OriginAddress = originAddress;
        _originAddresses = [originAddress];
    }

    public WebApplication? Origin
    {
        get => _origins[0];
        private set => _origins[0] = value;
    }

    // Every origin the edge lists (one unless started with StartWithOriginsAsync), by preference.
    private WebApplication?[] _origins = [null];
    private string[] _originAddresses = [];

    /// <summary>The gRPC address of origin <paramref name="index"/> (0 is the preferred one).</summary>
    public string OriginAddressAt(int index) => _originAddresses[index];

    /// <summary>Stops origin <paramref name="index"/>, leaving the edge running.</summary>
    public async Task StopOriginAsync(int index)
    {
        if (_origins[index] is { } origin)
        {
            _origins[index] = null;
            await origin.StopAsync(CancellationToken.None);
            await origin.DisposeAsync();
        }
    }

    /// <summary>Starts origin <paramref name="index"/> again on its port.</summary>
    public async Task RestartOriginAsync(int index) => _origins[index] = await StartOriginAsync(_originAddresses[index], _originSettings);

    /// <summary>
    /// <paramref name="origins"/> origins (same settings, same built-in sample) and an edge that lists them all in
    /// <c>Edge:Origin:Addresses</c>, the first preferred.
    /// </summary>
    public static async Task<EdgeTestHost> StartWithOriginsAsync(int origins, string[] originSettings, params string[] edgeSettings)
    {
        var addresses = Enumerable.Range(0, origins).Select(_ => $"http://127.0.0.1:{FreePorts.Tcp()}").ToArray();
        var started = new WebApplication?[origins];
        for (var i = 1; i < origins; i++)
        {
            started[i] = await StartOriginAsync(addresses[i], originSettings);
        }

        var host = await StartAsync(true, null, originSettings, [.. addresses.Select((a, i) => $"Origin:Addresses:{i}={a}"), .. edgeSettings], addresses[0]);
        started[0] = host.Origin;
        host._origins = started;
        host._originAddresses = addresses;
        return host;
    }

    public WebApplication Edge { get; }

    public string OriginAddress { get; }

    /// <summary>This edge's own measurements, straight from its meters.</summary>
    public EdgeMetricsProbe Metrics { get; private set; } = null!;

    /// <summary>What the edge logged.</summary>
    public CapturedLog Log { get; private set; } = null!;

    public int RtspPort => Edge.RtspPort();

    public string HttpAddress => Edge.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal);

    public string Url(string stream = "movie.Mjpeg") => $"rtsp://127.0.0.1:{RtspPort}/{stream}";

    /// <summary>The origin's /metrics, read over cleartext HTTP/2 on its gRPC port, parsed.</summary>
    public async Task<PrometheusText> OriginMetricsAsync()
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(OriginAddress + "/metrics"))
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return PrometheusText.Parse(await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }


    /// <param name="withOrigin">False starts the edge pointed at a port where nothing listens.</param>
    /// <param name="edgeSettings">Extra edge settings, "Key=Value".</param>
    public static Task<EdgeTestHost> StartAsync(bool withOrigin = true, params string[] edgeSettings) =>
        StartAsync(withOrigin, null, [], edgeSettings);

    /// <param name="withOrigin">False starts the edge pointed at a port where nothing listens.</param>
    /// <param name="time">The edge's clock (the origin keeps real time).</param>
    /// <param name="originSettings">Extra origin settings, "Key=Value".</param>
    /// <param name="edgeSettings">Extra edge settings, "Key=Value".</param>
    public static Task<EdgeTestHost> StartAsync(bool withOrigin, TimeProvider? time, string[] originSettings, params string[] edgeSettings) =>
        StartAsync(withOrigin, time, originSettings, edgeSettings, null);

    private static async Task<EdgeTestHost> StartAsync(bool withOrigin, TimeProvider? time, string[] originSettings, string[] edgeSettings, string? address)
    {
        WebApplication? origin = null;
        // An origin with TLS settings serves https://, and the edge must ask for that.
        var scheme = originSettings.Any(s => s.StartsWith("Tls:", StringComparison.Ordinal)) ? "https" : "http";
        var originAddress = address ?? $"{scheme}://127.0.0.1:{FreePorts.Tcp()}";
        if (withOrigin)
        {
            origin = await StartOriginAsync(originAddress, originSettings);
        }

        List<string> args =
        [
            "--rtsp-port", "0", "--rtp-port", "0", "--http-port", "0", "--Edge:Control:Port=0", "--origin", originAddress,
            "--Logging:LogLevel:Default=Warning", "--Edge:Origin:DescribeTimeout=00:00:05",
        ];
        args.AddRange(edgeSettings.Select(s => "--Edge:" + s));
        var log = new CapturedLog();
        var edge = EdgeHost.Build([.. args], builder =>
        {
            builder.Logging.AddProvider(log);
            if (time is not null)
            {
                builder.Services.AddSingleton(time);
            }
        });
        var metrics = new EdgeMetricsProbe(edge.Services);
        await edge.StartAsync(TestContext.Current.CancellationToken);
        return new EdgeTestHost(origin, edge, originAddress) { _originSettings = originSettings, Log = log, Metrics = metrics };
    }

    private string[] _originSettings = [];

    /// <summary>Stops the origin (as a restart would), leaving the edge running.</summary>
    public async Task StopOriginAsync()
    {
        if (Origin is not null)
        {
            await Origin.StopAsync(CancellationToken.None);
            await Origin.DisposeAsync();
            Origin = null;
        }
    }

    /// <summary>Starts the origin again on the same port.</summary>
    public async Task RestartOriginAsync() => Origin = await StartOriginAsync(OriginAddress, _originSettings);

    private static async Task<WebApplication> StartOriginAsync(string address, string[] settings)
    {
        var origin = OriginHost.Build(
        [
            "--urls", address, "--Origin:Http:Port=0", "--Origin:Sample:FrameCount=25", "--Logging:LogLevel:Default=Warning",
            .. settings.Select(s => "--Origin:" + s),
        ]);
        await origin.StartAsync(TestContext.Current.CancellationToken);
        return origin;
    }

    public async ValueTask DisposeAsync()
    {
        Metrics.Dispose();
        await Edge.StopAsync(CancellationToken.None);
        await Edge.DisposeAsync();
        for (var i = 0; i < _origins.Length; i++)
        {
            await StopOriginAsync(i);
        }
    }
}

/// <summary>The honest player's checks that need the edge.</summary>
public static class HonestPlayerChecks
{
    /// <summary>Nothing lost at the player, and no frame skipped for any TCP reader at the edge.</summary>
    public static void AssertLostNothing(this HonestPlayer player, EdgeTestHost host, int framesPerSecond = 25)
    {
        player.AssertLostNothing(framesPerSecond);
        Assert.Equal(0, host.Metrics.FramesDropped("tcp"));
    }
}
