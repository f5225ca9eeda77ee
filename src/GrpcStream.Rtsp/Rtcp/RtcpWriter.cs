using System.Buffers.Binary;
using System.Text;

namespace GrpcStream.Rtsp.Rtcp;

/// <summary>
/// Writes RTCP packets into a caller's buffer (no allocation). A compound packet is these written one after
/// another, starting with a sender or receiver report (RFC 3550 6.1). Each method returns the bytes written.
/// </summary>
public static class RtcpWriter
{
    public const int HeaderSize = 4;
    public const int SenderInfoSize = 20;

    public static int SenderReport(Span<byte> destination, uint ssrc, SenderInfo info, ReadOnlySpan<ReportBlock> blocks = default)
    {
        CheckBlocks(blocks);
        var length = HeaderSize + 4 + SenderInfoSize + (blocks.Length * ReportBlock.Size);
        WriteHeader(destination, RtcpPacketType.SenderReport, blocks.Length, length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], info.Ntp.Seconds);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], info.Ntp.Fraction);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], info.RtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[20..], info.PacketCount);
        BinaryPrimitives.WriteUInt32BigEndian(destination[24..], info.OctetCount);
        WriteBlocks(destination[28..], blocks);
        return length;
    }

    public static int ReceiverReport(Span<byte> destination, uint ssrc, ReadOnlySpan<ReportBlock> blocks = default)
    {
        CheckBlocks(blocks);
        var length = HeaderSize + 4 + (blocks.Length * ReportBlock.Size);
        WriteHeader(destination, RtcpPacketType.ReceiverReport, blocks.Length, length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], ssrc);
        WriteBlocks(destination[8..], blocks);
        return length;
    }

    /// <summary>An SDES packet with one chunk holding a CNAME item (ASCII/UTF-8, at most 255 bytes).</summary>
    public static int SourceDescription(Span<byte> destination, uint ssrc, string cname)
    {
        var textLength = Encoding.UTF8.GetByteCount(cname);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(textLength, 255);

        // SSRC, CNAME item (type, length, text), then at least one null octet ending the list, padded to 32 bits.
        var chunk = 4 + 2 + textLength;
        var padded = (chunk + 4) & ~3;
        var length = HeaderSize + padded;
        WriteHeader(destination, RtcpPacketType.SourceDescription, 1, length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], ssrc);
        destination[8] = 1; // CNAME
        destination[9] = (byte)textLength;
        Encoding.UTF8.GetBytes(cname, destination[10..]);
        destination[(HeaderSize + chunk)..length].Clear();
        return length;
    }

    /// <summary>A BYE packet for one source, with an optional reason (at most 255 bytes of UTF-8).</summary>
    public static int Goodbye(Span<byte> destination, uint ssrc, string? reason = null)
    {
        var reasonLength = reason is null ? 0 : Encoding.UTF8.GetByteCount(reason);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(reasonLength, 255);
        var body = 4 + (reason is null ? 0 : 1 + reasonLength);
        var length = HeaderSize + ((body + 3) & ~3);
        WriteHeader(destination, RtcpPacketType.Goodbye, 1, length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], ssrc);
        if (reason is not null)
        {
            destination[8] = (byte)reasonLength;
            Encoding.UTF8.GetBytes(reason, destination[9..]);
        }

        destination[(HeaderSize + body)..length].Clear();
        return length;
    }

    private static void WriteHeader(Span<byte> destination, RtcpPacketType type, int count, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, length);
        destination[0] = (byte)(0x80 | count);
        destination[1] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)((length / 4) - 1));
    }

    private static void WriteBlocks(Span<byte> destination, ReadOnlySpan<ReportBlock> blocks)
    {
        foreach (var block in blocks)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, block.Ssrc);
            var lost = Math.Clamp(block.CumulativeLost, -0x800000, 0x7FFFFF);
            BinaryPrimitives.WriteUInt32BigEndian(destination[4..], ((uint)block.FractionLost << 24) | ((uint)lost & 0xFFFFFF));
            BinaryPrimitives.WriteUInt32BigEndian(destination[8..], block.ExtendedHighestSequence);
            BinaryPrimitives.WriteUInt32BigEndian(destination[12..], block.Jitter);
            BinaryPrimitives.WriteUInt32BigEndian(destination[16..], block.LastSenderReport);
            BinaryPrimitives.WriteUInt32BigEndian(destination[20..], block.DelaySinceLastSenderReport);
            destination = destination[ReportBlock.Size..];
        }
    }

    private static void CheckBlocks(ReadOnlySpan<ReportBlock> blocks) => ArgumentOutOfRangeException.ThrowIfGreaterThan(blocks.Length, 31);
}
