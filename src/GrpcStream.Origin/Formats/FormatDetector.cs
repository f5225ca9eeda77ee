namespace GrpcStream.Origin.Formats;

/// <summary>Tells a file's format from its first bytes; the file name plays no part.</summary>
internal static class FormatDetector
{
    /// <summary>Bytes of the length field in the length-prefixed format.</summary>
    public const int LengthDigits = 5;

    public static SourceFormat? Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
        {
            return SourceFormat.ConcatenatedJpeg;
        }

        if (head.Length >= LengthDigits + 3
            && IsDigits(head[..LengthDigits])
            && head[LengthDigits] == 0xFF && head[LengthDigits + 1] == 0xD8 && head[LengthDigits + 2] == 0xFF)
        {
            return SourceFormat.LengthPrefixed;
        }

        return null;
    }

    public static bool IsDigits(ReadOnlySpan<byte> field)
    {
        foreach (var b in field)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        return true;
    }
}
