using GrpcStream.Rtsp.Jpeg;

namespace GrpcStream.Origin.Formats;

/// <summary>
/// Reads the lab format: each frame is its length as 5 ASCII decimal digits followed by that many bytes of JPEG.
/// </summary>
internal static class LengthPrefixedReader
{
    public static FrameSplit Split(ReadOnlyMemory<byte> file, int maxFrameBytes = RtpJpegCompatibility.MaxFrameBytes)
    {
        var split = new FrameSplit(maxFrameBytes);
        var pos = 0;
        var index = 0;
        while (pos < file.Length)
        {
            var rest = file.Span[pos..];
            if (rest.Length < FormatDetector.LengthDigits || !FormatDetector.IsDigits(rest[..FormatDetector.LengthDigits]))
            {
                // Without a valid length there is no telling where the next frame starts: the rest is lost.
                split.Skip(FrameSkipReason.Corrupt, $"frame {index} at byte {pos}: no 5-digit length; {rest.Length} trailing bytes ignored");
                break;
            }

            var length = 0;
            foreach (var digit in rest[..FormatDetector.LengthDigits])
            {
                length = (length * 10) + (digit - '0');
            }

            var start = pos + FormatDetector.LengthDigits;
            if (length > file.Length - start)
            {
                split.Skip(FrameSkipReason.Truncated, $"frame {index} at byte {pos}: length {length} runs past the end of the file");
                break;
            }

            split.TryAdd(file.Slice(start, length), FrameLocation.At(index, pos));
            pos = start + length;
            index++;
        }

        return split;
    }
}
