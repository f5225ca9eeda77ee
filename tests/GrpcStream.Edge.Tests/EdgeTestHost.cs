extern alias origin;
using System.Net;
using System.Net.Sockets;
using GrpcStream.Edge.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OriginHost = origin::GrpcStream.Origin.Hosting.OriginHost;

namespace GrpcStream.Edge.Tests;

/// <summary>A real origin and a real edge in this process, on loopback ports the OS chose.</summary>
public sealed class EdgeTestHost : IAsyncDisposable
{
    private EdgeTestHost(WebApplication? origin, WebApplication edge, string originAddress)
    {
        Origin = origin;
        Edge = edge;
        OriginAddress = originAddress;
    }

    public WebApplication? Origin { get; private set; }

    public WebApplication Edge { get; }

    public string OriginAddress { get; }

    public int RtspPort => Edge.RtspPort();

    public string HttpAddress => Edge.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal);

    public string Url(string stream = "movie.Mjpeg") => $"rtsp://127.0.0.1:{RtspPort}/{stream}";

    /// <param name="withOrigin">False starts the edge pointed at a port where nothing listens.</param>
    /// <param name="edgeSettings">Extra edge settings, "Key=Value".</param>
    public static async Task<EdgeTestHost> StartAsync(bool withOrigin = true, params string[] edgeSettings)
    {
        WebApplication? origin = null;
        string originAddress;
        if (withOrigin)
        {
            origin = OriginHost.Build(["--urls", "http://127.0.0.1:0", "--Origin:Http:Port=0", "--Origin:Sample:FrameCount=25", "--Logging:LogLevel:Default=Warning"]);
            await origin.StartAsync(TestContext.Current.CancellationToken);
            originAddress = origin.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        }
        else
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            originAddress = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}";
        }

        List<string> args =
        [
            "--rtsp-port", "0", "--rtp-port", "0", "--http-port", "0", "--origin", originAddress,
            "--Logging:LogLevel:Default=Warning", "--Edge:Origin:DescribeTimeout=00:00:01",
        ];
        args.AddRange(edgeSettings.Select(s => "--Edge:" + s));
        var edge = EdgeHost.Build([.. args]);
        await edge.StartAsync(TestContext.Current.CancellationToken);
        return new EdgeTestHost(origin, edge, originAddress);
    }

    public async ValueTask DisposeAsync()
    {
        await Edge.StopAsync(CancellationToken.None);
        await Edge.DisposeAsync();
        if (Origin is not null)
        {
            await Origin.StopAsync(CancellationToken.None);
            await Origin.DisposeAsync();
        }
    }
}
