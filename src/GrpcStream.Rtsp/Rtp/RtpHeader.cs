using System.Buffers.Binary;

namespace GrpcStream.Rtsp.Rtp;

/// <summary>The fixed RTP header fields (RFC 3550 5.1) a sender sets per packet; version is always 2.</summary>
public readonly record struct RtpHeader(bool Marker, byte PayloadType, ushort SequenceNumber, uint Timestamp, uint Ssrc)
{
    /// <summary>Size of the fixed header with no CSRC list and no extension.</summary>
    public const int Size = 12;

    /// <summary>Writes the 12-byte header (V=2, no padding, no extension, no CSRC).</summary>
    public void Write(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Size);
        destination[0] = 0x80;
        destination[1] = (byte)((Marker ? 0x80 : 0) | (PayloadType & 0x7F));
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], SequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], Timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Ssrc);
    }
}

/// <summary>Why bytes are not an RTP packet.</summary>
public enum RtpPacketError
{
    None,
    TooShort,
    BadVersion,
    BadPadding,
    BadExtension,
}

/// <summary>A received RTP packet: its header and where its payload sits in the datagram.</summary>
public readonly record struct RtpPacket(RtpHeader Header, int CsrcCount, int PayloadOffset, int PayloadLength)
{
    /// <summary>
    /// Reads an RTP packet, skipping the CSRC list and any header extension and removing padding.
    /// Never throws: bytes from the network that are not RTP are an error value, not an exception.
    /// </summary>
    public static RtpPacketError TryParse(ReadOnlySpan<byte> datagram, out RtpPacket packet)
    {
        packet = default;
        if (datagram.Length < RtpHeader.Size)
        {
            return RtpPacketError.TooShort;
        }

        if (datagram[0] >> 6 != 2)
        {
            return RtpPacketError.BadVersion;
        }

        var csrcCount = datagram[0] & 0x0F;
        var offset = RtpHeader.Size + (4 * csrcCount);
        if (offset > datagram.Length)
        {
            return RtpPacketError.TooShort;
        }

        if ((datagram[0] & 0x10) != 0)
        {
            if (offset + 4 > datagram.Length)
            {
                return RtpPacketError.BadExtension;
            }

            offset += 4 + (4 * BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 2)..]));
            if (offset > datagram.Length)
            {
                return RtpPacketError.BadExtension;
            }
        }

        var end = datagram.Length;
        if ((datagram[0] & 0x20) != 0)
        {
            var padding = datagram[^1];
            if (padding == 0 || end - padding < offset)
            {
                return RtpPacketError.BadPadding;
            }

            end -= padding;
        }

        var header = new RtpHeader(
            (datagram[1] & 0x80) != 0,
            (byte)(datagram[1] & 0x7F),
            BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]));
        packet = new RtpPacket(header, csrcCount, offset, end - offset);
        return RtpPacketError.None;
    }

    public ReadOnlySpan<byte> PayloadOf(ReadOnlySpan<byte> datagram) => datagram.Slice(PayloadOffset, PayloadLength);
}
