using System.Net;
using GrpcStream.Edge.Settings;
using Microsoft.Extensions.Options;
using GrpcStream.Shared.Net;

namespace GrpcStream.Edge.Auth;

/// <summary>
/// <c>Edge:Http:TrustedAddresses</c>: callers who see the health detail without a login, and <c>/metrics</c> when
/// no user has the metrics permission (the edge's own host by default).
/// </summary>
internal sealed class TrustedAddresses(IOptions<EdgeOptions> options)
{
    private readonly IPNetwork[] _networks = [.. options.Value.Http.TrustedAddresses.Select(Parse)];

    public bool Contains(IPAddress? address) =>
        address is not null && _networks.Any(n => n.Contains(PlainAddress.Of(address)));

    /// <summary>A CIDR block, or one address as a block of one.</summary>
    public static IPNetwork Parse(string text) =>
        IPNetwork.TryParse(text, out var network) ? network
        : IPAddress.TryParse(text, out var single) ? new IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
        : throw new FormatException($"'{text}' is not an address or a CIDR block");
}
