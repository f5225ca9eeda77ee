using System.Net;
using Grpc.Health.V1;
using GrpcStream.Origin.Hosting;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcStream.Origin.Tests.Hosting;

public class StartupTests
{
    [Theory]
    [InlineData("--media-root", "/no/such/directory", "Origin:MediaRoot '/no/such/directory' is not an existing directory")]
    [InlineData("--frame-rate", "0", "Origin:FrameRate must be above 0")]
    [InlineData("--frame-rate", "1000", "Origin:FrameRate must be above 0 and at most 240")]
    [InlineData("--frame-rate", "fast", "invalid configuration")]
    [InlineData("--Origin:SubscriberBufferFrames", "0", "Origin:SubscriberBufferFrames must be between 1 and 1024")]
    [InlineData("--Origin:Sample:Name", "../x", "Origin:Sample:Name is not a valid stream name")]
    [InlineData("--Origin:Mode", "vod", "Origin:Mode must be 'live' or 'on-demand' (was 'vod')")]
    [InlineData("--Origin:Streams:0:Mode", "loop", "Origin:Streams:0:Mode must be 'live' or 'on-demand' (was 'loop')")]
    [InlineData("--Origin:Streams:lobby:Match", "lobby-*", "an entry named 'lobby' is for that stream alone")]
    [InlineData("--Origin:OnDemand:MaxFramesPerRead", "0", "Origin:OnDemand:MaxFramesPerRead and MaxBytesPerRead must be at least 1")]
    public async Task Bad_settings_stop_the_service_with_one_line(string flag, string value, string expected)
    {
        var error = new StringWriter();

        var exit = await ServiceRunner.RunAsync("origin", () => OriginHost.Build([flag, value, "--urls", "http://127.0.0.1:0", "--Origin:Http:Port=0"]), error);

        Assert.Equal(ServiceExitCode.InvalidConfiguration, exit);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("origin: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_health_serves_once_streams_are_loaded()
    {
        await using var origin = await OriginTestHost.StartAsync();
        var health = new Health.HealthClient(origin.NewChannel());

        var response = await health.CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Theory]
    [InlineData(null, "127.0.0.1")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    public async Task The_http_port_listens_where_grpc_does_unless_told_otherwise(string? httpAddress, string expected)
    {
        var httpPort = GrpcStream.Testing.FreePorts.Tcp();
        string[] args = ["--urls", "http://127.0.0.1:0", "--http-port", httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--Logging:LogLevel:Default=Warning"];
        await using var app = OriginHost.Build(httpAddress is null ? args : [.. args, $"--Origin:Http:Address={httpAddress}"]);
        await app.StartAsync(TestContext.Current.CancellationToken);

        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;

        Assert.Contains($"http://{expected}:{httpPort}", addresses);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }
}
