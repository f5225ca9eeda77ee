using System.Buffers.Binary;

namespace GrpcStream.Rtsp.Jpeg;

/// <summary>
/// Writes the JFIF headers an RFC 2435 receiver must rebuild in front of the scan data (RFC 2435 appendix B):
/// DQT from the received or computed tables, SOF0 for the type's sampling, the standard DHT tables, DRI, SOS.
/// </summary>
internal static class JfifWriter
{
    /// <summary>Upper bound of the header bytes <see cref="WriteHeaders"/> writes.</summary>
    public const int MaxHeaderSize = 2 + 18 + (2 + 2 + (2 * 129)) + 19 + 420 + 6 + 14;

    public static int WriteHeaders(Span<byte> destination, int width, int height, byte type, ushort restartInterval,
        ReadOnlySpan<byte> lumaTable, ReadOnlySpan<byte> chromaTable)
    {
        var at = 0;
        Marker(destination, ref at, JpegMarker.Soi);

        // APP0 "JFIF\0", version 1.1, no density units, 1:1 aspect, no thumbnail.
        Marker(destination, ref at, JpegMarker.App0);
        ReadOnlySpan<byte> jfif = [0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00];
        jfif.CopyTo(destination[at..]);
        at += jfif.Length;

        Marker(destination, ref at, JpegMarker.Dqt);
        Length(destination, ref at, 2 + 1 + lumaTable.Length + 1 + chromaTable.Length);
        destination[at++] = (byte)(lumaTable.Length == 128 ? 0x10 : 0x00);
        lumaTable.CopyTo(destination[at..]);
        at += lumaTable.Length;
        destination[at++] = (byte)(chromaTable.Length == 128 ? 0x11 : 0x01);
        chromaTable.CopyTo(destination[at..]);
        at += chromaTable.Length;

        Marker(destination, ref at, JpegMarker.Sof0);
        Length(destination, ref at, 17);
        destination[at++] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(at + 2)..], (ushort)width);
        at += 4;
        destination[at++] = 3;
        ReadOnlySpan<byte> components = [1, (type & 1) == 1 ? (byte)0x22 : (byte)0x21, 0, 2, 0x11, 1, 3, 0x11, 1];
        components.CopyTo(destination[at..]);
        at += components.Length;

        Marker(destination, ref at, JpegMarker.Dht);
        Length(destination, ref at, 2 + (4 * 17) + 12 + 12 + 162 + 162);
        HuffmanTable(destination, ref at, 0x00, StandardHuffmanTables.DcLuminanceCounts, StandardHuffmanTables.DcLuminanceValues);
        HuffmanTable(destination, ref at, 0x10, StandardHuffmanTables.AcLuminanceCounts, StandardHuffmanTables.AcLuminanceValues);
        HuffmanTable(destination, ref at, 0x01, StandardHuffmanTables.DcChrominanceCounts, StandardHuffmanTables.DcChrominanceValues);
        HuffmanTable(destination, ref at, 0x11, StandardHuffmanTables.AcChrominanceCounts, StandardHuffmanTables.AcChrominanceValues);

        if (restartInterval > 0)
        {
            Marker(destination, ref at, JpegMarker.Dri);
            Length(destination, ref at, 4);
            BinaryPrimitives.WriteUInt16BigEndian(destination[at..], restartInterval);
            at += 2;
        }

        Marker(destination, ref at, JpegMarker.Sos);
        ReadOnlySpan<byte> scan = [0x00, 0x0C, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0];
        scan.CopyTo(destination[at..]);
        return at + scan.Length;
    }

    private static void Marker(Span<byte> destination, ref int at, byte marker)
    {
        destination[at++] = JpegMarker.Prefix;
        destination[at++] = marker;
    }

    private static void Length(Span<byte> destination, ref int at, int length)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)length);
        at += 2;
    }

    private static void HuffmanTable(Span<byte> destination, ref int at, byte classAndId, ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values)
    {
        destination[at++] = classAndId;
        counts.CopyTo(destination[at..]);
        at += counts.Length;
        values.CopyTo(destination[at..]);
        at += values.Length;
    }
}
