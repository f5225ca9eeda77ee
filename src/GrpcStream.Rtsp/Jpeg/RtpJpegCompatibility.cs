namespace GrpcStream.Rtsp.Jpeg;

/// <summary>Why a JPEG image cannot be sent as RFC 2435 RTP/JPEG as it is.</summary>
public enum RtpJpegIncompatibility
{
    /// <summary>The image can be carried as it is.</summary>
    None,

    /// <summary>Progressive (SOF2): RFC 2435 carries only baseline sequential scans.</summary>
    Progressive,

    /// <summary>Lossless, hierarchical, arithmetic-coded or extended sequential: not baseline.</summary>
    NotBaseline,

    /// <summary>Sample precision other than 8 bits (12-bit JPEG).</summary>
    Precision,

    /// <summary>Not three components: grayscale or CMYK.</summary>
    ComponentCount,

    /// <summary>Sampling other than luma 2x1 or 2x2 with chroma 1x1 (for example 4:4:4, or luma 2x2 with chroma 1x2).</summary>
    Sampling,

    /// <summary>Huffman tables other than the standard ones (optimized tables, as <c>jpegtran -optimize</c> and ffmpeg write).</summary>
    HuffmanTables,

    /// <summary>More than one scan (non-interleaved components).</summary>
    MultipleScans,

    /// <summary>The two chroma components use different quantization tables, or a table is missing.</summary>
    QuantizationTables,

    /// <summary>The scan is larger than RFC 2435's 24-bit fragment offset can address.</summary>
    TooLarge,
}

/// <summary>Decides whether an image fits RFC 2435, and which RTP/JPEG type describes it.</summary>
public static class RtpJpegCompatibility
{
    /// <summary>The largest scan a 24-bit fragment offset can address.</summary>
    public const int MaxScanBytes = (1 << 24) - 1;

    /// <summary>
    /// The frame size every part of the system accepts by default (16 MiB): just over the largest scan RFC 2435 can
    /// carry, so no frame that can be sent is refused, and no peer can make a reader buffer more than this.
    /// </summary>
    public const int MaxFrameBytes = 16 * 1024 * 1024;

    /// <summary>The first reason the image cannot be carried as it is, or <see cref="RtpJpegIncompatibility.None"/>.</summary>
    public static RtpJpegIncompatibility Check(in JpegImageInfo info)
    {
        if (info.Process == JpegProcess.Progressive)
        {
            return RtpJpegIncompatibility.Progressive;
        }

        if (info.Process != JpegProcess.Baseline)
        {
            return RtpJpegIncompatibility.NotBaseline;
        }

        if (info.Precision != 8)
        {
            return RtpJpegIncompatibility.Precision;
        }

        if (info.ComponentCount != 3)
        {
            return RtpJpegIncompatibility.ComponentCount;
        }

        if (!TryGetType(in info, out _))
        {
            return RtpJpegIncompatibility.Sampling;
        }

        if (info.ScanCount != 1 || info.FirstScanComponentCount != 3)
        {
            return RtpJpegIncompatibility.MultipleScans;
        }

        if (!info.HasStandardHuffmanTables)
        {
            return RtpJpegIncompatibility.HuffmanTables;
        }

        // RFC 2435 carries one table for luma and one for both chroma components.
        var lumaTable = info.GetComponent(0).QuantTable;
        var chromaTable = info.GetComponent(1).QuantTable;
        if (info.GetComponent(2).QuantTable != chromaTable || !info.GetQuantTable(lumaTable).IsPresent || !info.GetQuantTable(chromaTable).IsPresent)
        {
            return RtpJpegIncompatibility.QuantizationTables;
        }

        return info.ScanDataLength > MaxScanBytes ? RtpJpegIncompatibility.TooLarge : RtpJpegIncompatibility.None;
    }

    /// <summary>
    /// The RFC 2435 type for the image's sampling: 0 for luma 2x1 (4:2:2), 1 for luma 2x2 (4:2:0), with
    /// chroma 1x1 in both; 64 is added for restart markers. False for any other layout.
    /// </summary>
    public static bool TryGetType(in JpegImageInfo info, out byte type)
    {
        type = 0;
        if (info.ComponentCount != 3)
        {
            return false;
        }

        var y = info.GetComponent(0);
        var cb = info.GetComponent(1);
        var cr = info.GetComponent(2);
        if (cb.HorizontalSampling != 1 || cb.VerticalSampling != 1 || cr.HorizontalSampling != 1 || cr.VerticalSampling != 1
            || y.HorizontalSampling != 2 || y.VerticalSampling is not (1 or 2))
        {
            return false;
        }

        type = (byte)((y.VerticalSampling == 2 ? 1 : 0) + (info.RestartInterval > 0 ? 64 : 0));
        return true;
    }
}
