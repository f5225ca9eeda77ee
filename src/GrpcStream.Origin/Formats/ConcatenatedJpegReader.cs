namespace GrpcStream.Origin.Formats;

/// <summary>
/// Splits JPEG images stored back to back. Each image's end is found by walking its segments and scan
/// (<see cref="Rtsp.Jpeg.JpegParser"/>), never by searching for the bytes FF D9, which also occur inside
/// embedded thumbnails and tables.
/// </summary>
internal static class ConcatenatedJpegReader
{
    public static FrameSplit Split(ReadOnlyMemory<byte> file)
    {
        var split = new FrameSplit();
        var pos = 0;
        var index = 0;
        while (pos < file.Length)
        {
            var start = NextStartOfImage(file.Span, pos);
            if (start < 0)
            {
                break;
            }

            var check = split.TryAdd(file[start..], $"frame {index} at byte {start}");
            index++;
            if (check == FrameCheck.Truncated)
            {
                // The image ran to the end of the file: nothing after it is a frame of its own.
                break;
            }

            // A corrupt image: look for the next one after its SOI.
            pos = check == FrameCheck.Added ? start + split.Frames[^1].Jpeg.Length : start + 2;
        }

        return split;
    }

    private static int NextStartOfImage(ReadOnlySpan<byte> data, int from)
    {
        ReadOnlySpan<byte> soi = [0xFF, 0xD8, 0xFF];
        var at = data[from..].IndexOf(soi);
        return at < 0 ? -1 : from + at;
    }
}
