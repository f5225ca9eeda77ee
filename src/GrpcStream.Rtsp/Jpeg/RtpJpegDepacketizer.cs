using System.Buffers.Binary;

namespace GrpcStream.Rtsp.Jpeg;

/// <summary>Why a received RTP/JPEG frame could not be rebuilt.</summary>
public enum RtpJpegDropReason
{
    None,

    /// <summary>A packet of the frame never arrived (the next frame began first).</summary>
    MissingPackets,

    /// <summary>A payload too short for its headers, or fragments that contradict each other.</summary>
    BadPayload,

    /// <summary>A type other than 0, 1, 64 or 65.</summary>
    UnsupportedType,

    /// <summary>Q of 128..255 without tables in the packet and none received before.</summary>
    MissingTables,

    /// <summary>Width or height 0 in the header and no size known from the session description.</summary>
    UnknownSize,

    /// <summary>The frame grew past the configured maximum.</summary>
    TooLarge,

    /// <summary>
    /// A fragment further ahead of what has arrived than any reordering explains, or too many fragments early: a
    /// peer claiming a huge offset to make the receiver allocate for it.
    /// </summary>
    TooFarAhead,

    /// <summary>A fragment whose bytes had all arrived already: a repeated packet, whose bytes may differ.</summary>
    Duplicate,

    /// <summary>A fragment covering part of what had arrived: two senders, or one splicing bytes.</summary>
    Overlap,

    /// <summary>A fragment past the end the marker packet gave, or a marker packet ending before bytes already received.</summary>
    OutOfRange,
}

/// <summary>
/// Reassembles RFC 2435 frames from RTP payloads and rebuilds each as a complete JFIF image. Packets of a
/// frame may arrive in any order; a frame is complete only when its fragments cover it from offset 0 to the end
/// the marker packet gives, each byte exactly once. A frame with a missing packet is dropped (and counted) when
/// the next frame starts; one with a repeated, overlapping or out-of-range fragment at once. Buffers are reused, so
/// a frame handed out is valid only until the next call.
/// </summary>
/// <remarks>
/// Coverage is kept as the list of byte ranges received, merged where they touch: a frame's bytes come from its own
/// fragments only, never from an earlier frame left in the reused buffer, whatever a sender claims. Work per packet
/// is constant: a fragment that continues what has arrived (nearly every one) extends the last range, and only
/// fragments that come early open a range of their own, a few at most. Memory follows what has arrived, not what a
/// packet claims: a fragment may start at most <see cref="ReorderWindow"/> beyond the bytes received in order.
/// </remarks>
public sealed class RtpJpegDepacketizer
{
    private readonly int _maxFrameBytes;
    /// <summary>How far ahead of the bytes received in order a fragment may start (reordering, not a lost packet).</summary>
    public const int ReorderWindow = 256 * 1024;

    /// <summary>Fragments held that arrived before the ones in front of them.</summary>
    public const int MaxEarlyFragments = 64;

    // The byte ranges received of the current frame, sorted, disjoint and not touching (touching ones are merged).
    private readonly List<(int Start, int End)> _ranges = new(MaxEarlyFragments + 1);
    private readonly byte[] _tables = new byte[256];
    private readonly byte[] _cachedTables = new byte[256];
    private readonly bool _keepFrames;
    private byte[] _scan;
    private byte[] _output;

    private bool _active;
    private bool _discarding;
    private uint _timestamp;
    private int _total;
    private bool _haveFirst;
    private byte _type;
    private byte _q;
    private int _width;
    private int _height;
    private ushort _restartInterval;
    private int _lumaLength;
    private int _chromaLength;
    private int _cachedQ = -1;
    private int _cachedLumaLength;
    private int _cachedChromaLength;

    /// <param name="maxFrameBytes">The largest frame rebuilt; larger ones are dropped.</param>
    /// <param name="keepFrames">
    /// False to check and count frames without rebuilding them (a load generator's way): fragments are checked as
    /// usual, their bytes are not copied, and a completed frame hands out no image, only its length.
    /// </param>
    public RtpJpegDepacketizer(int maxFrameBytes = RtpJpegCompatibility.MaxFrameBytes, bool keepFrames = true)
    {
        _maxFrameBytes = maxFrameBytes;
        _keepFrames = keepFrames;
        _scan = keepFrames ? new byte[64 * 1024] : [];
        _output = keepFrames ? new byte[64 * 1024] : [];
    }

    /// <summary>The exact picture size when the session description gives it (a=x-dimensions), overriding the 8-pixel header fields.</summary>
    public (int Width, int Height)? ExactSize { get; set; }

    public long FramesCompleted { get; private set; }

    public long FramesDropped { get; private set; }

    /// <summary>
    /// The last completed frame's length as a JFIF image; when frames are not kept, the length it would have had
    /// (with an end-of-image marker added, which a scan that already ends with one would not get: 2 bytes over).
    /// </summary>
    public int LastFrameLength { get; private set; }

    public RtpJpegDropReason LastDropReason { get; private set; }

    /// <summary>
    /// Adds the payload of one RTP packet. Returns true when it completes a frame, which <paramref name="jpeg"/>
    /// then holds until the next call (empty when frames are not kept).
    /// </summary>
    public bool Push(uint timestamp, bool marker, ReadOnlySpan<byte> payload, out ReadOnlyMemory<byte> jpeg)
    {
        jpeg = default;
        if (_discarding && timestamp == _timestamp)
        {
            // The rest of a frame already dropped: counted once, ignored.
            return false;
        }

        _discarding = false;
        if (_active && timestamp != _timestamp)
        {
            Drop(RtpJpegDropReason.MissingPackets);
        }

        if (!_active)
        {
            Begin(timestamp);
        }

        if (!RtpJpegHeader.TryRead(payload, out var header))
        {
            Drop(RtpJpegDropReason.BadPayload);
            return false;
        }

        var at = RtpJpegHeader.Size;
        ushort restartInterval = 0;
        if (header.HasRestartMarkers)
        {
            if (payload.Length < at + RtpJpegHeader.RestartHeaderSize)
            {
                Drop(RtpJpegDropReason.BadPayload);
                return false;
            }

            restartInterval = BinaryPrimitives.ReadUInt16BigEndian(payload[at..]);
            at += RtpJpegHeader.RestartHeaderSize;
        }

        if (header.FragmentOffset == 0 && !ReadFirstPacket(header, restartInterval, payload, ref at))
        {
            return false;
        }

        var data = payload[at..];
        if (!AddFragment(header.FragmentOffset, data, marker))
        {
            return false;
        }

        if (!_haveFirst || _total < 0 || _ranges.Count != 1 || _ranges[0] != (0, _total))
        {
            return false;
        }

        jpeg = _keepFrames ? Build() : default;
        LastFrameLength = _keepFrames ? jpeg.Length : MeasureUnbuilt();
        FramesCompleted++;
        _active = false;
        return true;
    }

    private void Begin(uint timestamp)
    {
        _active = true;
        _discarding = false;
        _timestamp = timestamp;
        _total = -1;
        _haveFirst = false;
        _ranges.Clear();
    }

    private bool ReadFirstPacket(RtpJpegHeader header, ushort restartInterval, ReadOnlySpan<byte> payload, ref int at)
    {
        if ((header.Type & 0x3F) > 1 || header.Type >= 128)
        {
            Drop(RtpJpegDropReason.UnsupportedType);
            return false;
        }

        _type = header.Type;
        _q = header.Q;
        _restartInterval = restartInterval;
        _width = header.Width8 * 8;
        _height = header.Height8 * 8;
        if (ExactSize is { } exact)
        {
            (_width, _height) = exact;
        }
        else if (_width == 0 || _height == 0)
        {
            Drop(RtpJpegDropReason.UnknownSize);
            return false;
        }

        if (_q is >= 1 and <= 99)
        {
            QuantizationTables.ForQuality(_q, _tables.AsSpan(0, 64), _tables.AsSpan(128, 64));
            _lumaLength = _chromaLength = 64;
        }
        else if (_q >= 128)
        {
            if (payload.Length < at + RtpJpegHeader.QuantizationHeaderSize)
            {
                Drop(RtpJpegDropReason.BadPayload);
                return false;
            }

            var precision = payload[at + 1];
            var length = BinaryPrimitives.ReadUInt16BigEndian(payload[(at + 2)..]);
            at += RtpJpegHeader.QuantizationHeaderSize;
            if (length == 0)
            {
                // Tables sent with an earlier frame for this Q (RFC 2435 3.1.8).
                if (_cachedQ != _q)
                {
                    Drop(RtpJpegDropReason.MissingTables);
                    return false;
                }

                _cachedTables.CopyTo(_tables, 0);
                (_lumaLength, _chromaLength) = (_cachedLumaLength, _cachedChromaLength);
            }
            else
            {
                _lumaLength = (precision & 1) != 0 ? 128 : 64;
                _chromaLength = (precision & 2) != 0 ? 128 : 64;
                if (payload.Length < at + length)
                {
                    Drop(RtpJpegDropReason.BadPayload);
                    return false;
                }

                if (length == _lumaLength)
                {
                    // One table for every component, as ffmpeg sends when its encoder wrote a single DQT table:
                    // the chroma components use the same one.
                    _chromaLength = _lumaLength;
                    payload.Slice(at, _lumaLength).CopyTo(_tables);
                    payload.Slice(at, _lumaLength).CopyTo(_tables.AsSpan(128));
                }
                else if (length < _lumaLength + _chromaLength)
                {
                    Drop(RtpJpegDropReason.BadPayload);
                    return false;
                }
                else
                {
                    payload.Slice(at, _lumaLength).CopyTo(_tables);
                    payload.Slice(at + _lumaLength, _chromaLength).CopyTo(_tables.AsSpan(128));
                }

                at += length;
                _tables.CopyTo(_cachedTables, 0);
                (_cachedQ, _cachedLumaLength, _cachedChromaLength) = (_q, _lumaLength, _chromaLength);
            }
        }
        else
        {
            // Q 0 and 100..127 are reserved.
            Drop(RtpJpegDropReason.UnsupportedType);
            return false;
        }

        _haveFirst = true;
        return true;
    }

    private bool AddFragment(int offset, ReadOnlySpan<byte> data, bool marker)
    {
        if (data.Length == 0 && !marker)
        {
            return true; // no bytes, no claim
        }

        var end = offset + data.Length;
        if (end > _maxFrameBytes)
        {
            Drop(RtpJpegDropReason.TooLarge);
            return false;
        }

        // The end is known once the marker packet is in: nothing may lie past it, and it may not cut off bytes.
        var last = _ranges.Count == 0 ? 0 : _ranges[^1].End;
        if ((_total >= 0 && end > _total) || (marker && last > end))
        {
            Drop(RtpJpegDropReason.OutOfRange);
            return false;
        }

        var inOrder = _ranges.Count > 0 && _ranges[0].Start == 0 ? _ranges[0].End : 0;
        if (offset - inOrder > ReorderWindow)
        {
            Drop(RtpJpegDropReason.TooFarAhead);
            return false;
        }

        // Where the fragment goes: after the ranges that start before it (searched from the end, where it nearly
        // always belongs).
        var index = _ranges.Count;
        while (index > 0 && _ranges[index - 1].Start > offset)
        {
            index--;
        }

        var touchesPrevious = false;
        if (index > 0)
        {
            var previous = _ranges[index - 1];
            if (previous.End > offset)
            {
                Drop(previous.End >= end ? RtpJpegDropReason.Duplicate : RtpJpegDropReason.Overlap);
                return false;
            }

            touchesPrevious = previous.End == offset;
        }

        var touchesNext = false;
        if (index < _ranges.Count)
        {
            var next = _ranges[index];
            if (next.Start < end)
            {
                Drop(next.Start <= offset && next.End >= end ? RtpJpegDropReason.Duplicate : RtpJpegDropReason.Overlap);
                return false;
            }

            touchesNext = next.Start == end;
        }

        if (!touchesPrevious && !touchesNext && _ranges.Count > MaxEarlyFragments)
        {
            Drop(RtpJpegDropReason.TooFarAhead);
            return false;
        }

        if (_keepFrames)
        {
            if (_scan.Length < end)
            {
                Array.Resize(ref _scan, Math.Min(_maxFrameBytes, Math.Max(end, _scan.Length * 2)));
            }

            data.CopyTo(_scan.AsSpan(offset));
        }

        if (touchesPrevious && touchesNext)
        {
            _ranges[index - 1] = (_ranges[index - 1].Start, _ranges[index].End);
            _ranges.RemoveAt(index);
        }
        else if (touchesPrevious)
        {
            _ranges[index - 1] = (_ranges[index - 1].Start, end);
        }
        else if (touchesNext)
        {
            _ranges[index] = (offset, _ranges[index].End);
        }
        else
        {
            _ranges.Insert(index, (offset, end));
        }

        if (marker)
        {
            _total = end;
        }

        return true;
    }

    private ReadOnlyMemory<byte> Build()
    {
        var scan = _scan.AsSpan(0, _total);
        var needsEoi = scan.Length < 2 || scan[^2] != JpegMarker.Prefix || scan[^1] != JpegMarker.Eoi;
        var size = JfifWriter.MaxHeaderSize + scan.Length + 2;
        if (_output.Length < size)
        {
            _output = new byte[Math.Max(size, _output.Length * 2)];
        }

        var at = JfifWriter.WriteHeaders(_output, _width, _height, _type, _restartInterval, _tables.AsSpan(0, _lumaLength), _tables.AsSpan(128, _chromaLength));
        scan.CopyTo(_output.AsSpan(at));
        at += scan.Length;
        if (needsEoi)
        {
            _output[at++] = JpegMarker.Prefix;
            _output[at++] = JpegMarker.Eoi;
        }

        return _output.AsMemory(0, at);
    }

    // The headers Build would write, written aside, and the scan as received: no copy of the frame's bytes.
    private int MeasureUnbuilt()
    {
        Span<byte> headers = stackalloc byte[JfifWriter.MaxHeaderSize];
        return JfifWriter.WriteHeaders(headers, _width, _height, _type, _restartInterval, _tables.AsSpan(0, _lumaLength), _tables.AsSpan(128, _chromaLength)) + _total + 2;
    }

    private void Drop(RtpJpegDropReason reason)
    {
        FramesDropped++;
        LastDropReason = reason;
        _active = false;
        _discarding = true;
    }
}
