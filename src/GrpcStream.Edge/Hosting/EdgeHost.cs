using Microsoft.AspNetCore.Server.Kestrel.Core;
using GrpcStream.Edge.Auth;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Connections;
using GrpcStream.Edge.Requests;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;
using GrpcStream.ServiceDefaults;
using GrpcStream.ServiceDefaults.Grpc;
using Microsoft.Extensions.Options;
using GrpcStream.Edge.Settings;

namespace GrpcStream.Edge.Hosting;

/// <summary>Composes the edge: configuration, services, the RTSP server and the HTTP endpoints.</summary>
public static class EdgeHost
{
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--rtsp-port"] = "Edge:Rtsp:Port",
        ["--rtp-port"] = "Edge:Rtsp:RtpPort",
        ["--http-port"] = "Edge:Http:Port",
        ["--origin"] = "Edge:Origin:Address",
    };

    /// <param name="args">Command-line arguments.</param>
    /// <param name="configure">Lets tests replace configuration or services before the defaults are added.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = ServiceDefaultsExtensions.CreateServiceBuilder(args, SwitchMappings, configure);

        // HTTP/1.1 for /healthz, /metrics and viewers, and HTTP/2 for the control API; RTSP has its own listener.
        var httpPort = builder.Configuration.GetValue("Edge:Http:Port", new HttpSettings().Port);
        var httpAddress = builder.Configuration.GetValue("Edge:Http:Address", new HttpSettings().Address);
        var controlPort = builder.Configuration.GetValue("Edge:Control:Port", new ControlSettings().Port);
        var controlAddress = builder.Configuration.GetValue("Edge:Control:Address", new ControlSettings().Address);
        var control = builder.Configuration.GetSection("Edge:Control").Get<ControlSettings>() ?? new ControlSettings();
        var rtsps = builder.Configuration.GetSection("Edge:Rtsps").Get<RtspsSettings>() ?? new RtspsSettings();
        var http = builder.Configuration.GetSection("Edge:Http").Get<HttpSettings>() ?? new HttpSettings();
        var controlEndpoint = new ControlEndpoint();
        builder.Services.AddSingleton(controlEndpoint);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false; // nothing about the software to anyone who asks
            kestrel.Listen(ParseAddress(httpAddress), httpPort, endpoint =>
            {
                endpoint.Protocols = HttpProtocols.Http1;
                Http.HttpConnectionLimit.Use(endpoint);
                if (http.CertificatePath is not null)
                {
                    Http.HttpTls.Use(endpoint, http);
                }
            });
            kestrel.Listen(ParseAddress(controlAddress), controlPort, endpoint =>
            {
                controlEndpoint.Listen = endpoint;
                endpoint.Protocols = HttpProtocols.Http2;
                if (control.UsesTls(rtsps) && rtsps.Enabled)
                {
                    Control.ControlTls.Use(endpoint, rtsps, control);
                }
            });
        });

        var services = builder.Services;
        services.AddSingleton<IValidateOptions<EdgeOptions>, EdgeOptionsValidator>();
        services.AddSingleton<IValidateOptions<EdgeOptions>, Auth.AuthOptionsValidator>();
        services.AddOptions<EdgeOptions>().BindConfiguration(EdgeOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<EdgeOptions>, CommaSeparatedLists>();
        services.AddSingleton<Sessions.DrainState>();
        services.AddSingleton<Control.ControlAccess>();
        services.AddSingleton<Auth.RtspAuthenticator>();
        services.AddSingleton<Auth.AuthHook>();
        services.AddSingleton(sp => new Auth.FailedAttempts(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<EdgeOptions>>().Value.Auth.MaxFailureDelay));
        services.AddSingleton<EdgeMetrics>();
        services.AddSingleton<Origin.OriginLink>();
        services.AddSingleton<Origin.IOriginSource>(sp => sp.GetRequiredService<Origin.OriginLink>());
        services.AddSingleton<Origin.OriginPublisher>();
        services.AddSingleton<StreamHubRegistry>();
        services.AddSingleton<SessionRegistry>();
        services.AddSingleton<SessionEvents>();
        services.AddSingleton<SessionManager>();
        services.AddSingleton<UdpRtpServer>();
        services.AddSingleton<TransportFactory>();
        services.AddSingleton<ConnectionMethods>();
        services.AddSingleton<SessionMethods>();
        services.AddSingleton<PublishMethods>();
        services.AddSingleton<RequestRouter>();
        services.AddSingleton<RtspListener>();
        services.AddSingleton<Http.HttpAccess>();
        services.AddSingleton<Http.HttpConnectionLimit>();
        services.AddSingleton<Auth.TrustedAddresses>();
        services.AddSingleton(sp => new HealthDisclosure
        {
            MaySeeDetail = sp.GetRequiredService<Http.HttpAccess>().MaySeeDetailAsync,
            PublicData = new HashSet<string>(StringComparer.Ordinal) { EdgeHealthCheck.LinkState },
        });
        services.AddSingleton<Http.ViewerEndpoints>();
        services.AddSingleton(sp => new Http.RtspPort(() => sp.GetRequiredService<RtspListener>().Port));
        services.AddSingleton<Http.StreamListEndpoints>();
        services.AddHostedService(sp => sp.GetRequiredService<RtspListener>());
        services.AddHostedService<Sessions.SessionHeartbeat>();
        services.AddGrpcDefaults<Control.ControlAccess>()
            .AddCheck<EdgeHealthCheck>("origin-link", tags: [ServiceDefaultsExtensions.ReadyTag])
            .AddCheck<DrainHealthCheck>("drain", tags: [ServiceDefaultsExtensions.ReadyTag]);
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));

        var app = builder.Build();
        app.UseMetricsGate();
        app.MapDefaultEndpoints();
        Http.ViewerEndpoints.Map(app);
        Http.StreamListEndpoints.Map(app);
        app.MapGrpcService<Control.EdgeControlService>();
        app.MapGrpcDefaults();
        return app;
    }

    private static System.Net.IPAddress ParseAddress(string address) =>
        address == "localhost" ? System.Net.IPAddress.Loopback : System.Net.IPAddress.Parse(address);

    /// <summary>The control API's address (http://host:port) on the running edge.</summary>
    public static string ControlAddress(this WebApplication app)
    {
        // The control endpoint's own options hold the port it was bound to (asked as 0 in tests).
        var port = app.Services.GetRequiredService<ControlEndpoint>().Listen!.IPEndPoint!.Port;
        return app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!
            .Addresses.Single(a => new Uri(a).Port == port).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal);
    }

    /// <summary>The control API's endpoint, kept as it is configured so that its bound port can be found.</summary>
    private sealed class ControlEndpoint
    {
        public Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions? Listen { get; set; }
    }

    /// <summary>The RTSP port the running edge listens on.</summary>
    public static int RtspPort(this WebApplication app) => app.Services.GetRequiredService<RtspListener>().Port;

    /// <summary>The RTSPS port the running edge listens on; 0 when RTSPS is off.</summary>
    public static int RtspsPort(this WebApplication app) => app.Services.GetRequiredService<RtspListener>().TlsPort;

    /// <summary>The UDP port RTP is sent from.</summary>
    public static int RtpPort(this WebApplication app) => app.Services.GetRequiredService<UdpRtpServer>().RtpPort;
}
