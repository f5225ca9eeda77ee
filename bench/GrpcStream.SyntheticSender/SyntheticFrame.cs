using System.Buffers.Binary;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.SyntheticSender;

/// <summary>
/// The one frame every session gets, packetized once (RFC 2435, 1,400-byte payloads as the edge sends) with each
/// packet's headers written in front of its payload: the 4-byte interleaved header and the RTP header. Laid out so,
/// the packets with both headers are one contiguous interleaved frame (a TCP session's single write), and with the
/// RTP header alone they are the datagrams of one segmented UDP send. Per session only the sequence numbers,
/// timestamp, SSRC and channel are stamped in before its send.
/// </summary>
internal sealed class SyntheticFrame
{
    /// <summary>The most datagrams one segmented send carries (<see cref="Edge.Native.UdpSegmentation"/>'s limits).</summary>
    private readonly int _runLength;
    private readonly PacketizedFrame _packets = new();
    private readonly Range[] _datagrams;
    private readonly int[] _rtpHeaders;

    public SyntheticFrame(byte[] jpeg)
    {
        if (!JpegParser.TryParse(jpeg, out var info))
        {
            throw new InvalidDataException("not a baseline JPEG image");
        }

        new RtpJpegPacketizer().Packetize(jpeg, info, _packets);
        JpegBytes = jpeg.Length;
        DatagramSize = RtpHeader.Size + RtpJpegPacketizer.DefaultMaxPayloadSize;
        _runLength = Math.Min(Edge.Native.UdpSegmentation.MaxSegments, Edge.Native.UdpSegmentation.MaxBytes / DatagramSize);
        _datagrams = new Range[_packets.PacketCount];
        _rtpHeaders = new int[_packets.PacketCount];
        var buffer = _packets.Buffer;
        for (var i = 0; i < _packets.PacketCount; i++)
        {
            _datagrams[i] = _packets.GetPacketRange(i, RtpHeader.Size);
            _rtpHeaders[i] = _datagrams[i].Start.Value;
            var length = _datagrams[i].End.Value - _rtpHeaders[i];
            RtspWriter.WriteInterleavedHeader(buffer[(_rtpHeaders[i] - InterleavedFrame.HeaderSize)..], 0, length);
            new RtpHeader(_packets.IsLast(i), RtpJpegHeader.PayloadType, 0, 0, 0).Write(buffer[_rtpHeaders[i]..]);
        }
    }

    public int PacketCount => _packets.PacketCount;

    public int Width => _packets.Width;

    public int Height => _packets.Height;

    public int JpegBytes { get; }

    /// <summary>Every datagram's size but the last's: the segment size of a segmented send.</summary>
    public int DatagramSize { get; }

    /// <summary>
    /// Every packet with its interleaved and RTP headers, back to back: a TCP session's write as it is. The UDP
    /// datagrams are ranges of it (<see cref="Run"/>).
    /// </summary>
    public ReadOnlySpan<byte> Bytes => _packets.Buffer;

    /// <summary>How many segmented sends the frame takes.</summary>
    public int RunCount => (PacketCount + _runLength - 1) / _runLength;

    /// <summary>The datagrams (RTP header and payload, as ranges of <see cref="Bytes"/>) of segmented send <paramref name="run"/>.</summary>
    public ReadOnlySpan<Range> Run(int run)
    {
        var first = run * _runLength;
        return _datagrams.AsSpan(first, Math.Min(_runLength, PacketCount - first));
    }

    /// <summary>Stamps one session's fields into every packet: sequence numbers from <paramref name="firstSequence"/> on.</summary>
    public void Stamp(ushort firstSequence, uint timestamp, uint ssrc, byte channel)
    {
        var buffer = _packets.Buffer;
        for (var i = 0; i < _rtpHeaders.Length; i++)
        {
            var header = buffer[_rtpHeaders[i]..];
            buffer[_rtpHeaders[i] - InterleavedFrame.HeaderSize + 1] = channel;
            BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(firstSequence + i));
            BinaryPrimitives.WriteUInt32BigEndian(header[4..], timestamp);
            BinaryPrimitives.WriteUInt32BigEndian(header[8..], ssrc);
        }
    }
}
