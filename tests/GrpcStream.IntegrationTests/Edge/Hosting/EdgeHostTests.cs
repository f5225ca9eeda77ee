using GrpcStream.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcStream.IntegrationTests.Edge.Hosting;

public class EdgeHostTests
{
    [Theory]
    [InlineData(null, "http://0.0.0.0:")]
    [InlineData("127.0.0.1", "http://127.0.0.1:")]
    public async Task The_http_port_listens_on_every_address_unless_told_otherwise(string? address, string expected)
    {
        await using var host = await EdgeTestHost.StartAsync(false, address is null ? [] : [$"Http:Address={address}"]);

        var addresses = host.Edge.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;

        // The HTTP/1.1 port first, then the control API's (Edge:Control:Address, every address by default).
        Assert.Equal(2, addresses.Count);
        Assert.StartsWith(expected, addresses.First(), StringComparison.Ordinal);
        Assert.StartsWith("http://0.0.0.0:", addresses.Last(), StringComparison.Ordinal);
    }
}
