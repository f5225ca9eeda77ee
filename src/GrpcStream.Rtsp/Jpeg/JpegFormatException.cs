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

/// <summary>A JPEG image that cannot be read: the structure, not the pixels, is broken.</summary>
public sealed class JpegFormatException : FormatException
{
    public JpegFormatException(JpegFormatError error, int offset)
        : base($"Malformed JPEG: {error} at byte {offset}.")
    {
        Error = error;
        Offset = offset;
    }

    public JpegFormatError Error { get; }

    /// <summary>Byte offset in the image where the problem was found.</summary>
    public int Offset { get; }
}
