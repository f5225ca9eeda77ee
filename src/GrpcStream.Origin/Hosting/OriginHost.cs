using Grpc.AspNetCore.Server;
using GrpcStream.Origin.Catalogue;
using GrpcStream.Origin.Diagnostics;
using GrpcStream.Origin.Grpc;
using GrpcStream.Origin.Live;
using GrpcStream.Origin.Settings;
using GrpcStream.ServiceDefaults;
using GrpcStream.ServiceDefaults.Grpc;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace GrpcStream.Origin.Hosting;

/// <summary>Composes the origin service: configuration, services, endpoints.</summary>
public static class OriginHost
{
    /// <summary>Where the origin listens unless <c>--urls</c>, <c>ASPNETCORE_URLS</c> or Kestrel endpoints say otherwise.</summary>
    public const string DefaultUrl = "http://0.0.0.0:50051";

    /// <summary>The HTTP/1.1 port for /healthz and /metrics unless <c>Origin:Http:Port</c> says otherwise (0 turns it off).</summary>
    public const int DefaultHttpPort = 8081;

    // A PublishRequest's bytes besides its JPEG: a field tag and a length.
    private const int PublishMessageOverhead = 16;

    /// <summary>Short flags for the options people set most.</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--media-root"] = "Origin:MediaRoot",
        ["--frame-rate"] = "Origin:FrameRate",
        ["--http-port"] = "Origin:Http:Port",
    };

    /// <param name="args">Command-line arguments.</param>
    /// <param name="configure">Lets tests replace configuration or services before the defaults are added.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = ServiceDefaultsExtensions.CreateServiceBuilder(args, SwitchMappings, configure);

        ConfigureEndpoints(builder);

        var services = builder.Services;
        services.AddSingleton<IValidateOptions<OriginOptions>, OriginOptionsValidator>();
        services.AddOptions<OriginOptions>().BindConfiguration(OriginOptions.SectionName).ValidateOnStart();
        services.AddSingleton<OriginMetrics>();
        services.AddSingleton<Storage.FrameCache>();
        services.AddSingleton<StreamCatalogue>();
        services.AddSingleton<LiveChannelHub>();
        services.AddSingleton<Publishing.PublishedStreams>();
        services.AddSingleton<Publishing.PublishedFrameCheck>();
        // A published frame may be as large as Origin:MaxFrameBytes; gRPC's own limit (4 MiB) would refuse it first.
        services.AddSingleton<IConfigureOptions<GrpcServiceOptions<MediaOriginService>>>(sp => new ConfigureOptions<GrpcServiceOptions<MediaOriginService>>(
            grpc => grpc.MaxReceiveMessageSize = sp.GetRequiredService<IOptions<OriginOptions>>().Value.MaxFrameBytes + PublishMessageOverhead));
        services.AddHostedService<CatalogueRefreshService>();
        services.AddSingleton<Security.OriginCallAccess>();
        services.AddGrpcDefaults<Security.OriginCallAccess>().AddCheck<CatalogueHealthCheck>("catalogue", tags: [ServiceDefaultsExtensions.ReadyTag]);
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));

        var app = builder.Build();
        app.MapGrpcService<MediaOriginService>();
        app.MapGrpcService<OriginControlService>();
        app.MapGrpcDefaults();
        app.MapDefaultEndpoints();
        app.Lifetime.ApplicationStarted.Register(() => ReportListening(app));

        // Watch streams never end on their own: end them first, so that shutdown does not wait for them.
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            app.Services.GetRequiredService<LiveChannelHub>().EndAll();
            app.Services.GetRequiredService<Publishing.PublishedStreams>().EndAll();
        });
        return app;
    }

    /// <summary>
    /// The gRPC endpoint speaks cleartext HTTP/2 (Kestrel cannot offer HTTP/1.1 and cleartext HTTP/2 on one port),
    /// so /healthz and /metrics are also served over HTTP/1.1 on <c>Origin:Http:Port</c> for curl and probes.
    /// </summary>
    private static void ConfigureEndpoints(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var httpPort = configuration.GetValue("Origin:Http:Port", DefaultHttpPort);
        if (configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            Security.OriginTls.Configure(builder, grpcUrl: string.Empty); // says so if Origin:Tls is set too

            // Explicit Kestrel endpoints (TLS set-ups) replace --urls entirely; they say what they serve.
            return;
        }

        var urls = configuration["urls"] is { Length: > 0 } configured ? configured : DefaultUrl;
        Security.OriginTls.Configure(builder, FirstOf(urls));
        if (httpPort > 0)
        {
            // /metrics tells what is watched: it is exposed no wider than gRPC unless asked.
            var address = configuration["Origin:Http:Address"] is { Length: > 0 } asked ? asked : HostOf(urls);
            urls += $";http://{address}:{httpPort}";
        }

        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(endpoint =>
            endpoint.Protocols = httpPort > 0 && endpoint.IPEndPoint?.Port == httpPort ? HttpProtocols.Http1 : HttpProtocols.Http2));
    }

    private static string FirstOf(string urls) => urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];

    /// <summary>The host of the first URL of <paramref name="urls"/> (Kestrel's "+" and "*" are every address).</summary>
    private static string HostOf(string urls)
    {
        var first = FirstOf(urls);
        var start = first.IndexOf("://", StringComparison.Ordinal) + 3;
        var end = first.LastIndexOf(':');
        var host = end > start ? first[start..end] : first[start..].TrimEnd('/');
        return host is "+" or "*" or "" ? "0.0.0.0" : host;
    }

    private static void ReportListening(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var streams = app.Services.GetRequiredService<StreamCatalogue>().Streams.Select(s => s.Name);
        OriginLog.Listening(app.Logger, string.Join(", ", addresses), string.Join(", ", streams));
        var grpc = app.Configuration["urls"] is { Length: > 0 } urls ? FirstOf(urls) : DefaultUrl;
        if (grpc.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !IsLoopback(HostOf(grpc)))
        {
            OriginLog.CleartextOnNetwork(app.Logger, grpc);
        }

        if (app.Services.GetRequiredService<Security.OriginCallAccess>().PublishingOpen)
        {
            OriginLog.PublishingOpen(app.Logger, app.Services.GetRequiredService<IOptions<OriginOptions>>().Value.Publish.Prefix);
        }
    }

    private static bool IsLoopback(string host) =>
        host == "localhost" || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));
}
