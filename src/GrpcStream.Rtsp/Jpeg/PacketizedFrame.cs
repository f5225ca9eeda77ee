namespace GrpcStream.Rtsp.Jpeg;

/// <summary>
/// One frame as RTP/JPEG payloads, made once and sent to every session: each session adds only its own
/// 12-byte RTP header (sequence number, timestamp, SSRC) in front of the same payload bytes. Every payload is
/// preceded by <see cref="HeaderRoom"/> free bytes, so a sender can write its headers in place and send one
/// contiguous datagram without copying the payload. The buffers are reused when the instance is packetized
/// into again, so steady-state packetizing allocates nothing.
/// </summary>
public sealed class PacketizedFrame
{
    /// <summary>Free bytes before each payload: room for an interleaved header (4) and an RTP header (12).</summary>
    public const int HeaderRoom = 16;

    private byte[] _buffer = new byte[64 * 1024];
    private int[] _ends = new int[64];
    private int _used;

    /// <summary>Number of RTP packets the frame takes.</summary>
    public int PacketCount { get; private set; }

    /// <summary>Total payload bytes over all packets (RTP headers not included).</summary>
    public int PayloadBytes { get; private set; }

    public int Width { get; private set; }

    public int Height { get; private set; }

    /// <summary>The RTP payload of packet <paramref name="index"/> (JPEG headers and its share of the scan).</summary>
    public ReadOnlyMemory<byte> GetPayload(int index)
    {
        var (start, end) = Bounds(index);
        return _buffer.AsMemory(start, end - start);
    }

    /// <summary>
    /// Packet <paramref name="index"/>'s payload preceded by <paramref name="headerLength"/> bytes (at most
    /// <see cref="HeaderRoom"/>) that the caller fills with its headers. The room is shared: whoever writes it
    /// must be done sending before anyone else writes it again.
    /// </summary>
    public Memory<byte> GetPacketWithHeaderRoom(int index, int headerLength)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(headerLength, HeaderRoom);
        var (start, end) = Bounds(index);
        return _buffer.AsMemory(start - headerLength, end - start + headerLength);
    }

    /// <summary>
    /// The buffer holding every packet, for senders that hand several packets to the system in one call: packet
    /// <c>i</c> with <c>h</c> bytes of header room is <c>Buffer[GetPacketRange(i, h)]</c>. The same sharing rule
    /// as <see cref="GetPacketWithHeaderRoom"/> applies.
    /// </summary>
    public Span<byte> Buffer => _buffer.AsSpan(0, _used);

    /// <summary>Where in <see cref="Buffer"/> packet <paramref name="index"/> lies with <paramref name="headerLength"/> bytes of room.</summary>
    public Range GetPacketRange(int index, int headerLength)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(headerLength, HeaderRoom);
        var (start, end) = Bounds(index);
        return new Range(start - headerLength, end);
    }

    /// <summary>True for the frame's last packet, which carries the RTP marker bit.</summary>
    public bool IsLast(int index) => index == PacketCount - 1;

    internal void Reset(int payloadCapacity, int packets, int width, int height)
    {
        PacketCount = 0;
        PayloadBytes = 0;
        _used = 0;
        Width = width;
        Height = height;
        var capacity = payloadCapacity + (packets * HeaderRoom);
        if (_buffer.Length < capacity)
        {
            _buffer = new byte[Math.Max(capacity, _buffer.Length * 2)];
        }

        if (_ends.Length < packets)
        {
            _ends = new int[Math.Max(packets, _ends.Length * 2)];
        }
    }

    /// <summary>Room for the next packet's payload at the end of what is written.</summary>
    internal Span<byte> NextPacket(int length) => _buffer.AsSpan(_used + HeaderRoom, length);

    internal void CommitPacket(int length)
    {
        _used += HeaderRoom + length;
        _ends[PacketCount] = _used;
        PayloadBytes += length;
        PacketCount++;
    }

    private (int Start, int End) Bounds(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PacketCount);
        var end = _ends[index];
        var start = (index == 0 ? 0 : _ends[index - 1]) + HeaderRoom;
        return (start, end);
    }
}
