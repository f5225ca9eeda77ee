using System.Runtime.CompilerServices;

namespace GrpcStream.Rtsp.Jpeg;

/// <summary>The coding process named by the frame header (SOFn marker).</summary>
public enum JpegProcess
{
    Baseline,
    ExtendedSequential,
    Progressive,
    Lossless,
    Hierarchical,
    Arithmetic,
}

/// <summary>Chroma subsampling, named the usual way (J:a:b), derived from the sampling factors.</summary>
public enum JpegChroma
{
    Grayscale,
    Yuv420,
    Yuv422,
    Yuv444,
    Yuv440,
    Yuv411,
    Other,
}

/// <summary>One image component of the frame header.</summary>
public readonly record struct JpegComponent(byte Id, byte HorizontalSampling, byte VerticalSampling, byte QuantTable);

/// <summary>Where a quantization table sits in the image: its 64 (or 128 for 16-bit) bytes in zig-zag order.</summary>
public readonly record struct JpegQuantTable(int Offset, bool Is16Bit)
{
    public int Length => Is16Bit ? 128 : 64;

    public bool IsPresent => Offset > 0;
}

/// <summary>
/// What <see cref="JpegParser"/> learned about one image: header values and the offsets of the parts a
/// packetizer needs. Offsets index the buffer that was parsed. A value type with fixed-size storage so
/// that parsing a frame on the hot path allocates nothing.
/// </summary>
public struct JpegImageInfo
{
    private Components _components;
    private QuantTables _quantTables;

    /// <summary>Bytes from SOI through EOI inclusive.</summary>
    public int Length { get; internal set; }

    public JpegProcess Process { get; internal set; }

    /// <summary>The SOFn marker byte (0xC0 for baseline).</summary>
    public byte FrameMarker { get; internal set; }

    /// <summary>Sample precision in bits (8 or 12 for DCT processes).</summary>
    public byte Precision { get; internal set; }

    public ushort Width { get; internal set; }

    public ushort Height { get; internal set; }

    public int ComponentCount { get; internal set; }

    /// <summary>MCUs between restart markers; 0 when there is no DRI segment.</summary>
    public ushort RestartInterval { get; internal set; }

    /// <summary>
    /// True when every DHT table is the Annex K.3 table for its slot and the scan uses slot 0 for the first
    /// component and slot 1 for the others (or the image has no DHT at all, the Motion-JPEG convention for
    /// "the standard tables").
    /// </summary>
    public bool HasStandardHuffmanTables { get; internal set; }

    /// <summary>Number of SOS segments; RFC 2435 carries exactly one interleaved scan.</summary>
    public int ScanCount { get; internal set; }

    /// <summary>Components in the first scan.</summary>
    public int FirstScanComponentCount { get; internal set; }

    /// <summary>Offset of the first scan's entropy-coded data (just after its SOS segment).</summary>
    public int ScanDataOffset { get; internal set; }

    /// <summary>Length of the first scan's entropy-coded data, up to the marker that ends it.</summary>
    public int ScanDataLength { get; internal set; }

    public readonly JpegComponent GetComponent(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ComponentCount);
        return _components[index];
    }

    /// <summary>The quantization table with destination id 0..3; not present when the image defines none.</summary>
    public readonly JpegQuantTable GetQuantTable(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(id, 3);
        return _quantTables[id];
    }

    public readonly JpegChroma Chroma
    {
        get
        {
            if (ComponentCount == 1)
            {
                return JpegChroma.Grayscale;
            }

            if (ComponentCount != 3)
            {
                return JpegChroma.Other;
            }

            JpegComponent y = _components[0], cb = _components[1], cr = _components[2];
            if (cb.HorizontalSampling != cr.HorizontalSampling || cb.VerticalSampling != cr.VerticalSampling
                || y.HorizontalSampling % cb.HorizontalSampling != 0 || y.VerticalSampling % cb.VerticalSampling != 0)
            {
                return JpegChroma.Other;
            }

            return (y.HorizontalSampling / cb.HorizontalSampling, y.VerticalSampling / cb.VerticalSampling) switch
            {
                (2, 2) => JpegChroma.Yuv420,
                (2, 1) => JpegChroma.Yuv422,
                (1, 1) => JpegChroma.Yuv444,
                (1, 2) => JpegChroma.Yuv440,
                (4, 1) => JpegChroma.Yuv411,
                _ => JpegChroma.Other,
            };
        }
    }

    /// <summary>Sampling factors as written in the frame header, for example "2x2,1x1,1x1".</summary>
    public readonly string SamplingText
    {
        get
        {
            var parts = new string[ComponentCount];
            for (var i = 0; i < ComponentCount; i++)
            {
                parts[i] = $"{_components[i].HorizontalSampling}x{_components[i].VerticalSampling}";
            }

            return string.Join(',', parts);
        }
    }

    internal void SetComponent(int index, JpegComponent component) => _components[index] = component;

    internal void SetQuantTable(int id, JpegQuantTable table) => _quantTables[id] = table;

    [InlineArray(4)]
    private struct Components
    {
        private JpegComponent _element;
    }

    [InlineArray(4)]
    private struct QuantTables
    {
        private JpegQuantTable _element;
    }
}
