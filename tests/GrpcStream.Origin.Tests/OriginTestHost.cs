using Grpc.Net.Client;
using GrpcStream.Origin.Hosting;
using GrpcStream.Protos.Origin.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using GrpcStream.Testing;

namespace GrpcStream.Origin.Tests;

/// <summary>A real origin on a loopback port chosen by the OS, with its log captured and, optionally, a fake clock.</summary>
public sealed class OriginTestHost : IAsyncDisposable
{
    private readonly List<GrpcChannel> _channels = [];
    private string _cacheDirectory = "";

    private OriginTestHost(WebApplication app, string address, CapturedLog log)
    {
        App = app;
        Address = address;
        Log = log;
        Client = new MediaOrigin.MediaOriginClient(NewChannel());
    }

    public WebApplication App { get; }

    public string Address { get; }

    public CapturedLog Log { get; }

    /// <summary>A client on the host's first connection.</summary>
    public MediaOrigin.MediaOriginClient Client { get; }

    public static async Task<OriginTestHost> StartAsync(string? mediaRoot = null, TimeProvider? time = null, params string[] settings)
    {
        // Each host converts into a cache directory of its own, removed with it; a setting may name another.
        var cache = Directory.CreateTempSubdirectory("grpcstream-cache-").FullName;
        List<string> args =
        [
            "--urls", "http://127.0.0.1:0",
            $"--Origin:CacheDirectory={cache}",
            "--Origin:Http:Port=0",
            "--Origin:Sample:FrameCount=25",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:GrpcStream=Information",
        ];
        if (mediaRoot is not null)
        {
            args.Add($"--Origin:MediaRoot={mediaRoot}");
        }

        args.AddRange(settings.Select(s => "--" + s));
        var log = new CapturedLog();
        var app = OriginHost.Build([.. args], builder =>
        {
            builder.Logging.AddProvider(log);
            if (time is not null)
            {
                builder.Services.AddSingleton(time);
            }
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new OriginTestHost(app, address, log) { _cacheDirectory = cache };
    }

    /// <summary>A client on a connection of its own, as a second edge would have.</summary>
    public MediaOrigin.MediaOriginClient NewClient() => new(NewChannel());

    public GrpcChannel NewChannel()
    {
        var channel = GrpcChannel.ForAddress(Address);
        _channels.Add(channel);
        return channel;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
        if (Directory.Exists(_cacheDirectory))
        {
            Directory.Delete(_cacheDirectory, recursive: true);
        }
    }
}

/// <summary>A media root in a temporary directory, removed afterwards.</summary>
public sealed class TempMediaRoot : IDisposable
{
    public TempMediaRoot()
    {
        Path = Directory.CreateTempSubdirectory("grpcstream-media-").FullName;
    }

    public string Path { get; }

    public string Write(string name, byte[] content)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(file, content);
        return file;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
