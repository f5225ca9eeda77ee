using System.Buffers.Binary;

namespace GrpcStream.Testing;

/// <summary>RTP packets framed with a 2-byte length (RFC 4571), the format of GStreamer's rtpstreampay/rtpstreamdepay.</summary>
public static class RtpStreamFile
{
    public static byte[] Write(IEnumerable<byte[]> packets)
    {
        using var output = new MemoryStream();
        Span<byte> length = stackalloc byte[2];
        foreach (var packet in packets)
        {
            BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)packet.Length);
            output.Write(length);
            output.Write(packet);
        }

        return output.ToArray();
    }

    public static List<byte[]> Read(byte[] file)
    {
        var packets = new List<byte[]>();
        var at = 0;
        while (at + 2 <= file.Length)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(at));
            packets.Add(file.AsSpan(at + 2, length).ToArray());
            at += 2 + length;
        }

        return packets;
    }
}
