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
/// Allocates nothing.
/// </remarks>
public static class JpegParser
{
    /// <summary>
    /// Parses the image that starts at the beginning of <paramref name="data"/>. Returns false when
    /// <paramref name="data"/> ends before the image's EOI marker; <see cref="JpegImageInfo.Length"/> tells
    /// where the image ends when it returns true (anything after it is not looked at).
    /// </summary>
    /// <exception cref="JpegFormatException">The bytes are not a well-formed JPEG image.</exception>
    public static bool TryParse(ReadOnlySpan<byte> data, out JpegImageInfo info)
    {
        info = default;
        if (data.Length < 2)
        {
            if (data.Length == 1 && data[0] != JpegMarker.Prefix)
            {
                throw new JpegFormatException(JpegFormatError.MissingStartOfImage, 0);
            }

            return false;
        }

        if (data[0] != JpegMarker.Prefix || data[1] != JpegMarker.Soi)
        {
            throw new JpegFormatException(JpegFormatError.MissingStartOfImage, 0);
        }

        var state = new ParseState();
        var pos = 2;
        while (true)
        {
            if (pos >= data.Length)
            {
                return false;
            }

            if (data[pos] != JpegMarker.Prefix)
            {
                throw new JpegFormatException(JpegFormatError.ExpectedMarker, pos);
            }

            // Any number of 0xFF fill bytes may precede a marker (T.81 B.1.1.2).
            while (pos < data.Length && data[pos] == JpegMarker.Prefix)
            {
                pos++;
            }

            if (pos >= data.Length)
            {
                return false;
            }

            var markerOffset = pos - 1;
            var marker = data[pos++];
            if (marker == JpegMarker.Eoi)
            {
                if (!state.SawFrameHeader || info.ScanCount == 0)
                {
                    throw new JpegFormatException(JpegFormatError.NoScan, markerOffset);
                }

                info.Length = pos;
                info.HasStandardHuffmanTables = state.AllTablesStandard && state.SelectorsStandard;
                return true;
            }

            if (marker == 0x00 || marker == JpegMarker.Soi)
            {
                throw new JpegFormatException(JpegFormatError.InvalidMarker, markerOffset);
            }

            if (JpegMarker.IsStandalone(marker))
            {
                continue;
            }

            if (pos + 2 > data.Length)
            {
                return false;
            }

            int segmentLength = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            if (segmentLength < 2)
            {
                throw new JpegFormatException(JpegFormatError.BadSegmentLength, markerOffset);
            }

            if (pos + segmentLength > data.Length)
            {
                return false;
            }

            var body = data.Slice(pos + 2, segmentLength - 2);
            var bodyOffset = pos + 2;
            pos += segmentLength;

            if (JpegMarker.IsStartOfFrame(marker))
            {
                ReadFrameHeader(marker, body, markerOffset, ref state, ref info);
                continue;
            }

            switch (marker)
            {
                case JpegMarker.Dqt:
                    ReadQuantTables(body, bodyOffset, markerOffset, ref info);
                    break;
                case JpegMarker.Dht:
                    ReadHuffmanTables(body, markerOffset, ref state);
                    break;
                case JpegMarker.Dri:
                    if (body.Length != 2)
                    {
                        throw new JpegFormatException(JpegFormatError.BadRestartInterval, markerOffset);
                    }

                    info.RestartInterval = BinaryPrimitives.ReadUInt16BigEndian(body);
                    break;
                case JpegMarker.Dnl:
                    throw new JpegFormatException(JpegFormatError.HeightDefinedByDnl, markerOffset);
                case JpegMarker.Sos:
                    ReadScanHeader(body, markerOffset, ref state, ref info);
                    if (!TrySkipEntropyCodedData(data, ref pos, out var scanStart))
                    {
                        return false;
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

    private static void ReadFrameHeader(byte marker, ReadOnlySpan<byte> body, int offset, ref ParseState state, ref JpegImageInfo info)
    {
        if (state.SawFrameHeader)
        {
            throw new JpegFormatException(JpegFormatError.DuplicateFrameHeader, offset);
        }

        if (body.Length < 6)
        {
            throw new JpegFormatException(JpegFormatError.BadFrameHeader, offset);
        }

        var count = body[5];
        if (count is 0 or > 4 || body.Length != 6 + (3 * count))
        {
            throw new JpegFormatException(JpegFormatError.BadFrameHeader, offset);
        }

        var height = BinaryPrimitives.ReadUInt16BigEndian(body[1..]);
        var width = BinaryPrimitives.ReadUInt16BigEndian(body[3..]);
        if (width == 0)
        {
            throw new JpegFormatException(JpegFormatError.BadFrameHeader, offset);
        }

        if (height == 0)
        {
            throw new JpegFormatException(JpegFormatError.HeightDefinedByDnl, offset);
        }

        for (var i = 0; i < count; i++)
        {
            var c = body.Slice(6 + (3 * i), 3);
            byte h = (byte)(c[1] >> 4), v = (byte)(c[1] & 0x0F);
            if (h is 0 or > 4 || v is 0 or > 4 || c[2] > 3)
            {
                throw new JpegFormatException(JpegFormatError.BadFrameHeader, offset);
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
    }

    private static void ReadQuantTables(ReadOnlySpan<byte> body, int bodyOffset, int offset, ref JpegImageInfo info)
    {
        var at = 0;
        while (at < body.Length)
        {
            var pq = body[at] >> 4;
            var tq = body[at] & 0x0F;
            var size = pq == 0 ? 64 : 128;
            if (pq > 1 || tq > 3 || at + 1 + size > body.Length)
            {
                throw new JpegFormatException(JpegFormatError.BadQuantizationTable, offset);
            }

            info.SetQuantTable(tq, new JpegQuantTable(bodyOffset + at + 1, pq == 1));
            at += 1 + size;
        }
    }

    private static void ReadHuffmanTables(ReadOnlySpan<byte> body, int offset, ref ParseState state)
    {
        var at = 0;
        while (at < body.Length)
        {
            if (at + 17 > body.Length)
            {
                throw new JpegFormatException(JpegFormatError.BadHuffmanTable, offset);
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
                throw new JpegFormatException(JpegFormatError.BadHuffmanTable, offset);
            }

            var values = body.Slice(at + 17, total);
            if (!StandardHuffmanTables.IsStandard(tableClass, id, counts, values))
            {
                state.AllTablesStandard = false;
            }

            at += 17 + total;
        }
    }

    private static void ReadScanHeader(ReadOnlySpan<byte> body, int offset, ref ParseState state, ref JpegImageInfo info)
    {
        if (!state.SawFrameHeader)
        {
            throw new JpegFormatException(JpegFormatError.ScanBeforeFrameHeader, offset);
        }

        if (body.Length < 1)
        {
            throw new JpegFormatException(JpegFormatError.BadScanHeader, offset);
        }

        var count = body[0];
        if (count is 0 or > 4 || body.Length != 4 + (2 * count))
        {
            throw new JpegFormatException(JpegFormatError.BadScanHeader, offset);
        }

        for (var i = 0; i < count; i++)
        {
            var selector = body[1 + (2 * i)];
            var tables = body[2 + (2 * i)];
            var index = IndexOfComponent(in info, selector);
            if (index < 0)
            {
                throw new JpegFormatException(JpegFormatError.BadScanHeader, offset);
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
