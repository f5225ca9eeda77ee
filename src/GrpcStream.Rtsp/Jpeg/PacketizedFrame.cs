namespace GrpcStream.Rtsp.Jpeg;

/// <summary>
/// One frame as RTP/JPEG payloads, made once and sent to every session: each session adds only its own
/// 12-byte RTP header (sequence number, timestamp, SSRC) in front of the same payload bytes. The buffers are
/// reused when the instance is packetized into again, so steady-state packetizing allocates nothing.
/// </summary>
public sealed class PacketizedFrame
{
    private byte[] _buffer = new byte[64 * 1024];
    private int[] _ends = new int[64];

    /// <summary>Number of RTP packets the frame takes.</summary>
    public int PacketCount { get; private set; }

    /// <summary>Total payload bytes over all packets (RTP headers not included).</summary>
    public int PayloadBytes => PacketCount == 0 ? 0 : _ends[PacketCount - 1];

    public int Width { get; private set; }

    public int Height { get; private set; }

    /// <summary>The RTP payload of packet <paramref name="index"/> (JPEG headers and its share of the scan).</summary>
    public ReadOnlyMemory<byte> GetPayload(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PacketCount);
        var start = index == 0 ? 0 : _ends[index - 1];
        return _buffer.AsMemory(start, _ends[index] - start);
    }

    /// <summary>True for the frame's last packet, which carries the RTP marker bit.</summary>
    public bool IsLast(int index) => index == PacketCount - 1;

    internal void Reset(int capacity, int width, int height)
    {
        PacketCount = 0;
        Width = width;
        Height = height;
        if (_buffer.Length < capacity)
        {
            _buffer = new byte[Math.Max(capacity, _buffer.Length * 2)];
        }
    }

    /// <summary>Room for the next packet's payload at the end of what is written.</summary>
    internal Span<byte> NextPacket(int length) => _buffer.AsSpan(PayloadBytes, length);

    internal void CommitPacket(int length)
    {
        if (PacketCount == _ends.Length)
        {
            Array.Resize(ref _ends, _ends.Length * 2);
        }

        _ends[PacketCount] = PayloadBytes + length;
        PacketCount++;
    }
}
