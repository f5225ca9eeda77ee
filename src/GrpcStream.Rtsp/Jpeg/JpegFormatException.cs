namespace GrpcStream.Rtsp.Jpeg;

/// <summary>What is structurally wrong with a JPEG image.</summary>
public enum JpegFormatError
{
    MissingStartOfImage,
    ExpectedMarker,
    InvalidMarker,
    BadSegmentLength,
    BadFrameHeader,
    DuplicateFrameHeader,
    BadScanHeader,
    ScanBeforeFrameHeader,
    BadQuantizationTable,
    BadHuffmanTable,
    BadRestartInterval,
    HeightDefinedByDnl,
    NoScan,
}

/// <summary>Where <see cref="JpegParser.Parse"/> stopped, and why.</summary>
public enum JpegParseStatus
{
    /// <summary>One whole image, SOI to EOI.</summary>
    Complete,

    /// <summary>The input ends before the image does.</summary>
    NeedMoreData,

    /// <summary>The structure is broken; the problem says what and where.</summary>
    Malformed,
}

/// <summary>What is wrong with a malformed image, and at which byte of it.</summary>
public readonly record struct JpegFormatProblem(JpegFormatError Error, int Offset)
{
    public override string ToString() => $"Malformed JPEG: {Error} at byte {Offset}.";
}

/// <summary>A JPEG image that cannot be read: the structure, not the pixels, is broken.</summary>
public sealed class JpegFormatException : FormatException
{
    public JpegFormatException(JpegFormatError error, int offset)
        : base(new JpegFormatProblem(error, offset).ToString())
    {
        Error = error;
        Offset = offset;
    }

    public JpegFormatError Error { get; }

    /// <summary>Byte offset in the image where the problem was found.</summary>
    public int Offset { get; }
}
