using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace GrpcStream.Rtsp.Client;

/// <summary>
/// Where a datagram came from, as a value that costs no allocation to read and compare: the address in IPv6 form
/// (IPv4 mapped) and the port.
/// </summary>
internal readonly record struct DatagramSource(UInt128 Address, int Port)
{
    /// <summary>Reads a socket address as the kernel writes it (sockaddr_in or sockaddr_in6, family in host order).</summary>
    public static DatagramSource Read(ReadOnlySpan<byte> sockaddr)
    {
        var family = BitConverter.IsLittleEndian ? sockaddr[0] | (sockaddr[1] << 8) : (sockaddr[0] << 8) | sockaddr[1];
        var port = (sockaddr[2] << 8) | sockaddr[3];
        return family == LinuxInet6 && sockaddr.Length >= 24
            ? new DatagramSource(BinaryPrimitives.ReadUInt128BigEndian(sockaddr.Slice(8, 16)), port)
            : new DatagramSource(MappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(sockaddr.Slice(4, 4)), port);
    }

    public static DatagramSource Read(SocketAddress address) =>
        address.Family == AddressFamily.InterNetworkV6
            ? new DatagramSource(BinaryPrimitives.ReadUInt128BigEndian(address.Buffer.Span.Slice(8, 16)), (address[2] << 8) | address[3])
            : new DatagramSource(MappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(address.Buffer.Span.Slice(4, 4)), (address[2] << 8) | address[3]);

    /// <summary>An address in the form <see cref="Address"/> holds.</summary>
    public static UInt128 AddressOf(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.MapToIPv6().TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    // ::ffff:0:0/96, the IPv4-mapped prefix.
    private static readonly UInt128 MappedPrefix = new(0, 0x0000_FFFF_0000_0000);

    // AF_INET6 on Linux (the only system whose raw addresses the batch receiver reads).
    private const int LinuxInet6 = 10;
}
