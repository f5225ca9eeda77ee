namespace GrpcStream.Rtsp.Media;

/// <summary>Tells a file's format from its first bytes; the file name plays no part.</summary>
public static class FormatDetector
{
    /// <summary>Bytes of the length field in the length-prefixed format.</summary>
    public const int LengthDigits = 5;

    public static SourceFormat? Detect(ReadOnlySpan<byte> head)
    {
        if (IsStartOfImage(head))
        {
            return SourceFormat.ConcatenatedJpeg;
        }

        return LooksLengthPrefixed(head) ? SourceFormat.LengthPrefixed : null;
    }

    /// <summary>
    /// A lab file starts with a 5-digit length followed by a JPEG; or, when its first frame is damaged, with a
    /// chain of length fields that land exactly on each other (two hops or the end of the file) and lead to a JPEG.
    /// </summary>
    private static bool LooksLengthPrefixed(ReadOnlySpan<byte> data)
    {
        if (data.Length >= LengthDigits + 3 && IsDigits(data[..LengthDigits]) && IsStartOfImage(data[LengthDigits..]))
        {
            return true;
        }

        var pos = 0;
        var hops = 0;
        var sawJpeg = false;
        while (hops < 16 && data.Length - pos >= LengthDigits && IsDigits(data.Slice(pos, LengthDigits)))
        {
            var length = int.Parse(data.Slice(pos, LengthDigits), provider: System.Globalization.CultureInfo.InvariantCulture);
            var next = pos + LengthDigits + length;
            if (length == 0 || next > data.Length)
            {
                break;
            }

            sawJpeg |= IsStartOfImage(data[(pos + LengthDigits)..]);
            pos = next;
            hops++;
        }

        return sawJpeg && (hops >= 2 || pos == data.Length);
    }

    private static bool IsStartOfImage(ReadOnlySpan<byte> data) =>
        data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;

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
