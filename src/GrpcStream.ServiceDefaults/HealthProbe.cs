using Microsoft.Extensions.Configuration;

namespace GrpcStream.ServiceDefaults;

/// <summary>
/// <c>SERVICE healthcheck</c>: asks the running service's own /healthz and exits 0 when it answers 200. Container
/// runtime images have no curl; this is what their HEALTHCHECK runs.
/// </summary>
public static class HealthProbe
{
    public const string Command = "healthcheck";

    /// <param name="args">The service's arguments after "healthcheck" (flags such as --http-port are honoured).</param>
    /// <param name="portKey">The configuration key of the HTTP port (for example Edge:Http:Port).</param>
    /// <param name="defaultPort">The port when nothing sets it.</param>
    /// <param name="switchMappings">The service's short flags.</param>
    public static async Task<int> RunAsync(string[] args, string portKey, int defaultPort, IReadOnlyDictionary<string, string> switchMappings)
    {
        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddCommandLine(args, new Dictionary<string, string>(switchMappings))
            .Build();
        var port = configuration.GetValue(portKey, defaultPort);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}{ServiceDefaultsExtensions.HealthPath}"));
            await Console.Out.WriteLineAsync($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"unhealthy: {ex.Message}");
            return 1;
        }
    }
}
