using System.Buffers.Binary;

namespace GrpcStream.Rtsp.Jpeg;

/// <summary>
/// Splits a baseline JPEG image into RFC 2435 payloads: the main JPEG header on every packet, the restart
/// marker header when the image has a DRI segment (types 64/65), and in the first packet the quantization
/// tables (Q = 255) exactly as the DQT segment stores them, in zig-zag order. The payload data is the
/// entropy-coded scan only; headers are rebuilt by the receiver from the type and tables.
/// </summary>
public sealed class RtpJpegPacketizer
{
    /// <summary>Default largest RTP payload: with IP, UDP and RTP headers, a packet stays under a 1500-byte MTU.</summary>
    public const int DefaultMaxPayloadSize = 1400;

    /// <summary>Q value meaning "quantization tables are in the packet".</summary>
    public const byte DynamicTablesQ = 255;

    public RtpJpegPacketizer(int maxPayloadSize = DefaultMaxPayloadSize)
    {
        // The first packet must hold the headers and two 16-bit tables with room for some data.
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPayloadSize, 300);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPayloadSize, 65_000);
        MaxPayloadSize = maxPayloadSize;
    }

    public int MaxPayloadSize { get; }

    /// <summary>Packetizes <paramref name="jpeg"/> (whose headers <paramref name="info"/> describes) into <paramref name="frame"/>.</summary>
    /// <exception cref="RtpJpegException">The image cannot be carried as it is.</exception>
    public void Packetize(ReadOnlySpan<byte> jpeg, in JpegImageInfo info, PacketizedFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var problem = RtpJpegCompatibility.Check(in info);
        if (problem != RtpJpegIncompatibility.None)
        {
            throw new RtpJpegException(problem);
        }

        RtpJpegCompatibility.TryGetType(in info, out var type);
        var luma = info.GetQuantTable(info.GetComponent(0).QuantTable);
        var chroma = info.GetQuantTable(info.GetComponent(1).QuantTable);
        var tablesLength = luma.Length + chroma.Length;

        // Sides above 2040 pixels do not fit the 8-bit fields: 0 there, and the real size goes in the SDP.
        var width8 = (byte)(info.Width > 2040 ? 0 : (info.Width + 7) / 8);
        var height8 = (byte)(info.Height > 2040 ? 0 : (info.Height + 7) / 8);
        var headerSize = RtpJpegHeader.Size + (info.RestartInterval > 0 ? RtpJpegHeader.RestartHeaderSize : 0);
        var firstExtra = RtpJpegHeader.QuantizationHeaderSize + tablesLength;

        var scan = jpeg.Slice(info.ScanDataOffset, info.ScanDataLength);
        var firstData = MaxPayloadSize - headerSize - firstExtra;
        var otherData = MaxPayloadSize - headerSize;
        var packets = scan.Length <= firstData ? 1 : 1 + ((scan.Length - firstData + otherData - 1) / otherData);
        frame.Reset(scan.Length + firstExtra + (packets * headerSize), packets, info.Width, info.Height);

        var offset = 0;
        do
        {
            var extra = offset == 0 ? firstExtra : 0;
            var dataLength = Math.Min(MaxPayloadSize - headerSize - extra, scan.Length - offset);
            var packet = frame.NextPacket(headerSize + extra + dataLength);
            new RtpJpegHeader(0, offset, type, DynamicTablesQ, width8, height8).Write(packet);
            var at = RtpJpegHeader.Size;
            if (info.RestartInterval > 0)
            {
                RtpJpegHeader.WriteRestartHeader(packet[at..], info.RestartInterval);
                at += RtpJpegHeader.RestartHeaderSize;
            }

            if (offset == 0)
            {
                packet[at] = 0; // MBZ
                packet[at + 1] = (byte)((luma.Is16Bit ? 1 : 0) | (chroma.Is16Bit ? 2 : 0));
                BinaryPrimitives.WriteUInt16BigEndian(packet[(at + 2)..], (ushort)tablesLength);
                at += RtpJpegHeader.QuantizationHeaderSize;
                jpeg.Slice(luma.Offset, luma.Length).CopyTo(packet[at..]);
                at += luma.Length;
                jpeg.Slice(chroma.Offset, chroma.Length).CopyTo(packet[at..]);
                at += chroma.Length;
            }

            scan.Slice(offset, dataLength).CopyTo(packet[at..]);
            frame.CommitPacket(at + dataLength);
            offset += dataLength;
        }
        while (offset < scan.Length);
    }
}
