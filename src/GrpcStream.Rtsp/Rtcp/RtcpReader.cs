using System.Buffers.Binary;
using System.Text;

namespace GrpcStream.Rtsp.Rtcp;

/// <summary>One packet of an RTCP compound packet: its type, count field and body (after the 4-byte header, padding removed).</summary>
public readonly ref struct RtcpPacket
{
    public RtcpPacket(RtcpPacketType type, int count, ReadOnlySpan<byte> body)
    {
        Type = type;
        Count = count;
        Body = body;
    }

    public RtcpPacketType Type { get; }

    /// <summary>The 5-bit count field: report blocks (SR, RR), chunks (SDES), sources (BYE).</summary>
    public int Count { get; }

    public ReadOnlySpan<byte> Body { get; }

    /// <summary>The sender's SSRC (first word of SR, RR, BYE and the first SDES chunk).</summary>
    public uint Ssrc => Body.Length >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(Body) : 0;

    public bool TryGetSenderInfo(out SenderInfo info)
    {
        info = default;
        if (Type != RtcpPacketType.SenderReport || Body.Length < 4 + RtcpWriter.SenderInfoSize)
        {
            return false;
        }

        var b = Body[4..];
        info = new SenderInfo(
            new NtpTimestamp(BinaryPrimitives.ReadUInt32BigEndian(b), BinaryPrimitives.ReadUInt32BigEndian(b[4..])),
            BinaryPrimitives.ReadUInt32BigEndian(b[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[16..]));
        return true;
    }

    /// <summary>Report block <paramref name="index"/> of an SR or RR.</summary>
    public bool TryGetReportBlock(int index, out ReportBlock block)
    {
        block = default;
        var start = Type switch
        {
            RtcpPacketType.SenderReport => 4 + RtcpWriter.SenderInfoSize,
            RtcpPacketType.ReceiverReport => 4,
            _ => -1,
        };
        if (start < 0 || index < 0 || index >= Count)
        {
            return false;
        }

        start += index * ReportBlock.Size;
        if (start + ReportBlock.Size > Body.Length)
        {
            return false;
        }

        var b = Body[start..];
        var lostWord = BinaryPrimitives.ReadUInt32BigEndian(b[4..]);
        var cumulative = (int)(lostWord << 8) >> 8; // sign-extend the 24-bit field
        block = new ReportBlock(
            BinaryPrimitives.ReadUInt32BigEndian(b),
            (byte)(lostWord >> 24),
            cumulative,
            BinaryPrimitives.ReadUInt32BigEndian(b[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[20..]));
        return true;
    }

    /// <summary>The CNAME of the first SDES chunk, if it has one.</summary>
    public string? GetCname()
    {
        if (Type != RtcpPacketType.SourceDescription || Count == 0 || Body.Length < 4)
        {
            return null;
        }

        var items = Body[4..];
        while (items.Length >= 2 && items[0] != 0)
        {
            int type = items[0], length = items[1];
            if (2 + length > items.Length)
            {
                return null;
            }

            if (type == 1)
            {
                return Encoding.UTF8.GetString(items.Slice(2, length));
            }

            items = items[(2 + length)..];
        }

        return null;
    }
}

/// <summary>
/// Walks the packets of an RTCP compound packet without allocating. <see cref="Validate"/> applies the
/// checks of RFC 3550 A.2 (version 2, first packet SR or RR, lengths adding up to the datagram).
/// </summary>
public ref struct RtcpReader
{
    private ReadOnlySpan<byte> _remaining;

    public RtcpReader(ReadOnlySpan<byte> compound)
    {
        _remaining = compound;
    }

    /// <summary>True when <paramref name="compound"/> is a well-formed compound RTCP packet.</summary>
    public static bool Validate(ReadOnlySpan<byte> compound)
    {
        if (compound.Length < 8 || compound[0] >> 6 != 2 || (compound[0] & 0x20) != 0
            || compound[1] is not ((byte)RtcpPacketType.SenderReport or (byte)RtcpPacketType.ReceiverReport))
        {
            return false;
        }

        var reader = new RtcpReader(compound);
        while (reader.TryRead(out _))
        {
        }

        return reader._remaining.IsEmpty;
    }

    /// <summary>The next packet; false at the end or at a malformed packet (which ends the walk).</summary>
    public bool TryRead(out RtcpPacket packet)
    {
        packet = default;
        if (_remaining.Length < 4 || _remaining[0] >> 6 != 2)
        {
            return false;
        }

        var length = (BinaryPrimitives.ReadUInt16BigEndian(_remaining[2..]) + 1) * 4;
        if (length > _remaining.Length)
        {
            return false;
        }

        var body = _remaining[4..length];
        if ((_remaining[0] & 0x20) != 0)
        {
            var padding = _remaining[length - 1];
            if (padding == 0 || padding > body.Length)
            {
                return false;
            }

            body = body[..^padding];
        }

        packet = new RtcpPacket((RtcpPacketType)_remaining[1], _remaining[0] & 0x1F, body);
        _remaining = _remaining[length..];
        return true;
    }
}
