using System.Net;

namespace GrpcStream.Shared.Net;

/// <summary>
/// An address as it is compared, counted and shown: a dual-stack socket hands an IPv4 client over as an
/// IPv4-mapped IPv6 address (<c>::ffff:a.b.c.d</c>), which is that IPv4 address.
/// </summary>
internal static class PlainAddress
{
    public static IPAddress Of(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
