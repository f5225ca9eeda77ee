namespace GrpcStream.Rtsp.Media;

/// <summary>How a stream's frames are stored.</summary>
public enum SourceFormat
{
    /// <summary>The classic lab format: a 5-digit ASCII length, then that many bytes of JPEG, repeated.</summary>
    LengthPrefixed,

    /// <summary>JPEG images back to back (what <c>ffmpeg -f mjpeg</c> writes).</summary>
    ConcatenatedJpeg,

    /// <summary>A directory of .jpg files played in name order.</summary>
    JpegDirectory,

    /// <summary>The built-in test pattern.</summary>
    Generated,
}
