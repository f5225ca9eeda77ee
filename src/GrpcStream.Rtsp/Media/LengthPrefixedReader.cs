using GrpcStream.Rtsp.Jpeg;

namespace GrpcStream.Rtsp.Media;

/// <summary>
/// Reads the lab format: each frame is its length as 5 ASCII decimal digits followed by that many bytes of JPEG.
/// A frame is at most 99,999 bytes, so any window of 100,004 bytes or more holds a whole one.
/// </summary>
public sealed class LengthPrefixedReader(long fileLength) : IFrameScanner
{
    /// <summary>The most bytes one frame and its length field take.</summary>
    public const int MaxRecordBytes = 99_999 + FormatDetector.LengthDigits;

    private int _index;
    private bool _lost;

    /// <summary>Splits a file held whole in memory.</summary>
    public static FrameSplit Split(ReadOnlyMemory<byte> file, int maxFrameBytes = RtpJpegCompatibility.MaxFrameBytes)
    {
        var split = new FrameSplit(maxFrameBytes);
        new LengthPrefixedReader(file.Length).Scan(file, 0, final: true, split);
        return split;
    }

    public int Scan(ReadOnlyMemory<byte> window, long windowOffset, bool final, FrameSplit split)
    {
        var pos = 0;
        while (pos < window.Length && !_lost)
        {
            var rest = window.Span[pos..];
            var at = windowOffset + pos;
            if (rest.Length < FormatDetector.LengthDigits && !final)
            {
                return pos;
            }

            if (rest.Length < FormatDetector.LengthDigits || !FormatDetector.IsDigits(rest[..FormatDetector.LengthDigits]))
            {
                // Without a valid length there is no telling where the next frame starts: the rest is lost.
                split.Skip(FrameSkipReason.Corrupt, $"frame {_index} at byte {at}: no 5-digit length; {fileLength - at} trailing bytes ignored");
                _lost = true;
                break;
            }

            var length = 0;
            foreach (var digit in rest[..FormatDetector.LengthDigits])
            {
                length = (length * 10) + (digit - '0');
            }

            var start = pos + FormatDetector.LengthDigits;
            if (length > window.Length - start)
            {
                if (!final)
                {
                    return pos;
                }

                split.Skip(FrameSkipReason.Truncated, $"frame {_index} at byte {at}: length {length} runs past the end of the file");
                _lost = true;
                break;
            }

            split.TryAdd(window.Slice(start, length), FrameLocation.At(_index, at), windowOffset + start);
            pos = start + length;
            _index++;
        }

        return window.Length;
    }
}
