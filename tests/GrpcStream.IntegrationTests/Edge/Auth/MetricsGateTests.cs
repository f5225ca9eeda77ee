using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Auth;

public class MetricsGateTests
{
    [Fact]
    public async Task Metrics_need_a_user_with_the_metrics_permission_once_one_exists_and_healthz_stays_open()
    {
        await using var host = await EdgeTestHost.StartAsync(true,
            "Auth:Users:0:Name=alice", "Auth:Users:0:Password=wonderland",
            "Auth:Users:1:Name=prometheus", "Auth:Users:1:Password=scrape", "Auth:Users:1:Permissions=metrics");
        using var http = new HttpClient();

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(http, host, "/metrics", null));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(http, host, "/metrics", "alice:wonderland"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(http, host, "/metrics", "prometheus:guess"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, host, "/metrics", "prometheus:scrape"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, host, "/healthz", null));
    }

    [Fact]
    public async Task Without_a_metrics_user_metrics_stay_open()
    {
        await using var host = await EdgeTestHost.StartAsync(true, "Auth:Users:0:Name=alice", "Auth:Users:0:Password=wonderland");
        using var http = new HttpClient();

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, host, "/metrics", null));
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, EdgeTestHost host, string path, string? credentials)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(host.HttpAddress + path));
        if (credentials is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }
}
