using System.Buffers.Binary;

namespace GrpcStream.Rtsp.Jpeg;

/// <summary>The main JPEG header every RFC 2435 packet starts with (section 3.1).</summary>
public readonly record struct RtpJpegHeader(byte TypeSpecific, int FragmentOffset, byte Type, byte Q, byte Width8, byte Height8)
{
    public const int Size = 8;

    /// <summary>Size of the restart marker header that follows for types 64..127.</summary>
    public const int RestartHeaderSize = 4;

    /// <summary>Size of the quantization table header (before the tables) sent when Q is 128..255.</summary>
    public const int QuantizationHeaderSize = 4;

    /// <summary>The RTP payload type RFC 3551 assigns to JPEG.</summary>
    public const byte PayloadType = 26;

    /// <summary>The RTP clock rate for JPEG video.</summary>
    public const int ClockRate = 90_000;

    public bool HasRestartMarkers => Type is >= 64 and <= 127;

    public void Write(Span<byte> destination)
    {
        destination[0] = TypeSpecific;
        destination[1] = (byte)(FragmentOffset >> 16);
        destination[2] = (byte)(FragmentOffset >> 8);
        destination[3] = (byte)FragmentOffset;
        destination[4] = Type;
        destination[5] = Q;
        destination[6] = Width8;
        destination[7] = Height8;
    }

    public static bool TryRead(ReadOnlySpan<byte> payload, out RtpJpegHeader header)
    {
        header = default;
        if (payload.Length < Size)
        {
            return false;
        }

        header = new RtpJpegHeader(
            payload[0],
            (payload[1] << 16) | (payload[2] << 8) | payload[3],
            payload[4],
            payload[5],
            payload[6],
            payload[7]);
        return true;
    }

    /// <summary>
    /// Writes a restart marker header. F and L are set and the count is 0x3FFF: restart intervals are not
    /// aligned to packets, so receivers must reassemble the whole frame (RFC 2435 3.1.7).
    /// </summary>
    public static void WriteRestartHeader(Span<byte> destination, ushort restartInterval)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, restartInterval);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0xFFFF);
    }
}
