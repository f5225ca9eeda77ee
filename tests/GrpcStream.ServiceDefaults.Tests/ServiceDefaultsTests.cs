using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace GrpcStream.ServiceDefaults.Tests;

public class ServiceDefaultsTests
{
    [Theory]
    [InlineData(HealthStatus.Healthy, HttpStatusCode.OK, HttpStatusCode.OK)]
    [InlineData(HealthStatus.Degraded, HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable)]
    [InlineData(HealthStatus.Unhealthy, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable)]
    public async Task Healthz_reports_each_check_as_json_and_readiness_wants_healthy(HealthStatus status, HttpStatusCode expected, HttpStatusCode ready)
    {
        var builder = WebApplication.CreateBuilder(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]);
        builder.AddServiceDefaults();
        builder.Services.AddHealthChecks().AddCheck("things", () => new HealthCheckResult(status, "what it says"), tags: [ServiceDefaultsExtensions.ReadyTag]);
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(address + ServiceDefaultsExtensions.HealthPath), TestContext.Current.CancellationToken);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var metrics = GrpcStream.Testing.PrometheusText.Parse(await http.GetStringAsync(new Uri(address + ServiceDefaultsExtensions.MetricsPath), TestContext.Current.CancellationToken));
        using var live = await http.GetAsync(new Uri(address + ServiceDefaultsExtensions.LivePath), TestContext.Current.CancellationToken);
        using var readiness = await http.GetAsync(new Uri(address + ServiceDefaultsExtensions.ReadyPath), TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(status.ToString(), json.RootElement.GetProperty("status").GetString());
        Assert.Equal("what it says", json.RootElement.GetProperty("checks").GetProperty("things").GetProperty("description").GetString());
        Assert.Equal((HttpStatusCode.OK, ready), (live.StatusCode, readiness.StatusCode));
        Assert.Equal("counter", metrics.Types["dotnet_gc_collections_total"]); // .NET's own meter, exported with the service's
    }

    [Fact]
    public async Task A_port_in_use_stops_the_service_with_one_line_and_exit_code_3()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        var error = new StringWriter();

        var exit = await ServiceRunner.RunAsync("svc", () =>
        {
            var builder = WebApplication.CreateBuilder(["--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Default=None"]);
            return builder.Build();
        }, error);

        Assert.Equal(ServiceExitCode.CannotListen, exit);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("svc: cannot listen: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Option_validation_failures_are_joined_into_one_line()
    {
        var failure = ServiceRunner.Describe(new OptionsValidationException("x", typeof(object), ["first is wrong", "second is wrong"]));

        Assert.Equal(("invalid configuration: first is wrong; second is wrong", ServiceExitCode.InvalidConfiguration), failure);
    }

    [Fact]
    public void Unexpected_failures_are_not_dressed_up()
    {
        Assert.Null(ServiceRunner.Describe(new InvalidOperationException("a bug")));
        Assert.Null(ServiceRunner.Describe(new ArgumentException("another bug")));
    }
}
