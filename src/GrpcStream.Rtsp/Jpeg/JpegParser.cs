using System.Buffers.Binary;

namespace GrpcStream.Rtsp.Jpeg;

/// <summary>
/// Walks the marker segments of one JPEG image (T.81 annex B) without decoding it. Segments are skipped
/// by their length field and entropy-coded data by its marker rules (0xFF00 stuffing, RSTn, fill bytes),
/// so bytes such as 0xFFD9 inside a table, a thumbnail or a scan never end the image early.
/// </summary>
/// <remarks>
/// Follows the Kestrel parser's contract: running out of input is <c>false</c> ("need more data") and the
/// caller decides how much input is too much; a structural error is a <see cref="JpegFormatException"/>.
/// Allocates nothing, and <see cref="Parse"/> throws nothing.
/// </remarks>
public static class JpegParser
{
    /// <summary>
    /// Parses the image that starts at the beginning of <paramref name="data"/>. Returns false when
    /// <paramref name="data"/> ends before the image's EOI marker; <see cref="JpegImageInfo.Length"/> tells
    /// where the image ends when it returns true (anything after it is not looked at).
    /// </summary>
    /// <exception cref="JpegFormatException">The bytes are not a well-formed JPEG image.</exception>
    public static bool TryParse(ReadOnlySpan<byte> data, out JpegImageInfo info) =>
        Parse(data, out info, out var problem) switch
        {
            JpegParseStatus.Complete => true,
            JpegParseStatus.NeedMoreData => false,
            _ => throw new JpegFormatException(problem.Error, problem.Offset),
        };

    /// <summary>
    /// As <see cref="TryParse"/>, but a malformed image is a return value, not an exception: for callers that
    /// try many candidates (a splitter resynchronising in damaged input), where an exception each would cost
    /// more than the parse.
    /// </summary>
    public static JpegParseStatus Parse(ReadOnlySpan<byte> data, out JpegImageInfo info, out JpegFormatProblem problem)
    {
        info = default;
        problem = default;
        if (data.Length < 2)
        {
            if (data.Length == 1 && data[0] != JpegMarker.Prefix)
            {
                return Malformed(JpegFormatError.MissingStartOfImage, 0, out problem);
            }

            return JpegParseStatus.NeedMoreData;
        }

        if (data[0] != JpegMarker.Prefix || data[1] != JpegMarker.Soi)
        {
            return Malformed(JpegFormatError.MissingStartOfImage, 0, out problem);
        }

        var state = new ParseState();
        var pos = 2;
        while (true)
        {
            if (pos >= data.Length)
            {
                return JpegParseStatus.NeedMoreData;
            }

            if (data[pos] != JpegMarker.Prefix)
            {
                return Malformed(JpegFormatError.ExpectedMarker, pos, out problem);
            }

            // Any number of 0xFF fill bytes may precede a marker (T.81 B.1.1.2).
            while (pos < data.Length && data[pos] == JpegMarker.Prefix)
            {
                pos++;
            }

            if (pos >= data.Length)
            {
                return JpegParseStatus.NeedMoreData;
            }

            var markerOffset = pos - 1;
            var marker = data[pos++];
            if (marker == JpegMarker.Eoi)
            {
                if (!state.SawFrameHeader || info.ScanCount == 0)
                {
                    return Malformed(JpegFormatError.NoScan, markerOffset, out problem);
                }

                info.Length = pos;
                info.HasStandardHuffmanTables = state.AllTablesStandard && state.SelectorsStandard;
                return JpegParseStatus.Complete;
            }

            if (marker == 0x00 || marker == JpegMarker.Soi)
            {
                return Malformed(JpegFormatError.InvalidMarker, markerOffset, out problem);
            }

            if (JpegMarker.IsStandalone(marker))
            {
                continue;
            }

            if (pos + 2 > data.Length)
            {
                return JpegParseStatus.NeedMoreData;
            }

            int segmentLength = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            if (segmentLength < 2)
            {
                return Malformed(JpegFormatError.BadSegmentLength, markerOffset, out problem);
            }

            if (pos + segmentLength > data.Length)
            {
                return JpegParseStatus.NeedMoreData;
            }

            var body = data.Slice(pos + 2, segmentLength - 2);
            var bodyOffset = pos + 2;
            pos += segmentLength;

            if (JpegMarker.IsStartOfFrame(marker))
            {
                if (ReadFrameHeader(marker, body, ref state, ref info) is { } frameError)
                {
                    return Malformed(frameError, markerOffset, out problem);
                }

                continue;
            }

            switch (marker)
            {
                case JpegMarker.Dqt:
                    if (ReadQuantTables(body, bodyOffset, ref info) is { } quantError)
                    {
                        return Malformed(quantError, markerOffset, out problem);
                    }

                    break;
                case JpegMarker.Dht:
                    if (ReadHuffmanTables(body, ref state) is { } huffmanError)
                    {
                        return Malformed(huffmanError, markerOffset, out problem);
                    }

                    break;
                case JpegMarker.Dri:
                    if (body.Length != 2)
                    {
                        return Malformed(JpegFormatError.BadRestartInterval, markerOffset, out problem);
                    }

                    info.RestartInterval = BinaryPrimitives.ReadUInt16BigEndian(body);
                    break;
                case JpegMarker.Dnl:
                    return Malformed(JpegFormatError.HeightDefinedByDnl, markerOffset, out problem);
                case JpegMarker.Sos:
                    if (ReadScanHeader(body, ref state, ref info) is { } scanError)
                    {
                        return Malformed(scanError, markerOffset, out problem);
                    }

                    if (!TrySkipEntropyCodedData(data, ref pos, out var scanStart))
                    {
                        return JpegParseStatus.NeedMoreData;
                    }

                    if (info.ScanCount == 1)
                    {
                        info.ScanDataOffset = scanStart;
                        info.ScanDataLength = pos - scanStart;
                    }

                    break;
                default:
                    // APPn, COM and anything else with a length: not needed to find the image's parts.
                    break;
            }
        }
    }

    private static JpegParseStatus Malformed(JpegFormatError error, int offset, out JpegFormatProblem problem)
    {
        problem = new JpegFormatProblem(error, offset);
        return JpegParseStatus.Malformed;
    }

    /// <summary>
    /// Advances <paramref name="pos"/> from the start of entropy-coded data to the marker that ends it.
    /// Returns false when the data runs out first.
    /// </summary>
    private static bool TrySkipEntropyCodedData(ReadOnlySpan<byte> data, ref int pos, out int start)
    {
        start = pos;
        while (true)
        {
            var index = data[pos..].IndexOf(JpegMarker.Prefix);
            if (index < 0)
            {
                return false;
            }

            var at = pos + index;
            if (at + 1 >= data.Length)
            {
                return false;
            }

            var next = data[at + 1];
            if (next == 0x00 || next is >= JpegMarker.Rst0 and <= JpegMarker.Rst7)
            {
                // A stuffed 0xFF data byte, or a restart marker that belongs to the scan.
                pos = at + 2;
                continue;
            }

            if (next == JpegMarker.Prefix)
            {
                // Fill bytes before a marker: look again from the last of them.
                pos = at + 1;
                continue;
            }

            pos = at;
            return true;
        }
    }

    private static JpegFormatError? ReadFrameHeader(byte marker, ReadOnlySpan<byte> body, ref ParseState state, ref JpegImageInfo info)
    {
        if (state.SawFrameHeader)
        {
            return JpegFormatError.DuplicateFrameHeader;
        }

        if (body.Length < 6)
        {
            return JpegFormatError.BadFrameHeader;
        }

        var count = body[5];
        if (count is 0 or > 4 || body.Length != 6 + (3 * count))
        {
            return JpegFormatError.BadFrameHeader;
        }

        var height = BinaryPrimitives.ReadUInt16BigEndian(body[1..]);
        var width = BinaryPrimitives.ReadUInt16BigEndian(body[3..]);
        if (width == 0)
        {
            return JpegFormatError.BadFrameHeader;
        }

        if (height == 0)
        {
            return JpegFormatError.HeightDefinedByDnl;
        }

        for (var i = 0; i < count; i++)
        {
            var c = body.Slice(6 + (3 * i), 3);
            byte h = (byte)(c[1] >> 4), v = (byte)(c[1] & 0x0F);
            if (h is 0 or > 4 || v is 0 or > 4 || c[2] > 3)
            {
                return JpegFormatError.BadFrameHeader;
            }

            info.SetComponent(i, new JpegComponent(c[0], h, v, c[2]));
        }

        state.SawFrameHeader = true;
        info.FrameMarker = marker;
        info.Precision = body[0];
        info.Height = height;
        info.Width = width;
        info.ComponentCount = count;
        info.Process = marker switch
        {
            JpegMarker.Sof0 => JpegProcess.Baseline,
            JpegMarker.Sof1 => JpegProcess.ExtendedSequential,
            JpegMarker.Sof2 => JpegProcess.Progressive,
            JpegMarker.Sof3 => JpegProcess.Lossless,
            >= 0xC5 and <= 0xC7 => JpegProcess.Hierarchical,
            _ => JpegProcess.Arithmetic,
        };

        return null;
    }

    private static JpegFormatError? ReadQuantTables(ReadOnlySpan<byte> body, int bodyOffset, ref JpegImageInfo info)
    {
        var at = 0;
        while (at < body.Length)
        {
            var pq = body[at] >> 4;
            var tq = body[at] & 0x0F;
            var size = pq == 0 ? 64 : 128;
            if (pq > 1 || tq > 3 || at + 1 + size > body.Length)
            {
                return JpegFormatError.BadQuantizationTable;
            }

            info.SetQuantTable(tq, new JpegQuantTable(bodyOffset + at + 1, pq == 1));
            at += 1 + size;
        }

        return null;
    }

    private static JpegFormatError? ReadHuffmanTables(ReadOnlySpan<byte> body, ref ParseState state)
    {
        var at = 0;
        while (at < body.Length)
        {
            if (at + 17 > body.Length)
            {
                return JpegFormatError.BadHuffmanTable;
            }

            var tableClass = body[at] >> 4;
            var id = body[at] & 0x0F;
            var counts = body.Slice(at + 1, 16);
            var total = 0;
            foreach (var n in counts)
            {
                total += n;
            }

            if (tableClass > 1 || id > 3 || total > 256 || at + 17 + total > body.Length)
            {
                return JpegFormatError.BadHuffmanTable;
            }

            var values = body.Slice(at + 17, total);
            if (!StandardHuffmanTables.IsStandard(tableClass, id, counts, values))
            {
                state.AllTablesStandard = false;
            }

            at += 17 + total;
        }

        return null;
    }

    private static JpegFormatError? ReadScanHeader(ReadOnlySpan<byte> body, ref ParseState state, ref JpegImageInfo info)
    {
        if (!state.SawFrameHeader)
        {
            return JpegFormatError.ScanBeforeFrameHeader;
        }

        if (body.Length < 1)
        {
            return JpegFormatError.BadScanHeader;
        }

        var count = body[0];
        if (count is 0 or > 4 || body.Length != 4 + (2 * count))
        {
            return JpegFormatError.BadScanHeader;
        }

        for (var i = 0; i < count; i++)
        {
            var selector = body[1 + (2 * i)];
            var tables = body[2 + (2 * i)];
            var index = IndexOfComponent(in info, selector);
            if (index < 0)
            {
                return JpegFormatError.BadScanHeader;
            }

            // RFC 2435 receivers decode the first component with the luminance tables (slot 0) and the
            // others with the chrominance tables (slot 1).
            var expected = index == 0 ? 0x00 : 0x11;
            if (tables != expected)
            {
                state.SelectorsStandard = false;
            }
        }

        info.ScanCount++;
        if (info.ScanCount == 1)
        {
            info.FirstScanComponentCount = count;
        }

        return null;
    }

    private static int IndexOfComponent(in JpegImageInfo info, byte id)
    {
        for (var i = 0; i < info.ComponentCount; i++)
        {
            if (info.GetComponent(i).Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    private struct ParseState
    {
        public bool SawFrameHeader;
        public bool AllTablesStandard;
        public bool SelectorsStandard;

        public ParseState()
        {
            AllTablesStandard = true;
            SelectorsStandard = true;
        }
    }
}
