using GrpcStream.Rtsp.Jpeg;

namespace GrpcStream.Rtsp.Media;

/// <summary>
/// Splits JPEG images stored back to back. Each image's end is found by walking its segments and scan
/// (<see cref="JpegParser"/>), never by searching for the bytes FF D9, which also occur inside
/// embedded thumbnails and tables.
/// </summary>
/// <remarks>
/// Time is linear in the file's size on any input. A corrupt image is searched again for a start of image after
/// its own (a frame cut short in its headers hops by its segment lengths into the frame after it, whose start lies
/// inside what the walk covered), but each such search re-reads bytes already walked, so a file made of nothing
/// but candidates would cost the square of its size. The re-reading is therefore budgeted: once a file has
/// re-walked <see cref="ResyncBudgetPerByte"/> times its size, the search resumes where each corrupt image failed.
/// Read a window at a time, an image longer than the window (which is sized to hold the largest frame allowed) is
/// skipped as too large, and the search goes on after its start.
/// </remarks>
public sealed class ConcatenatedJpegReader(long fileLength, int windowCapacity = int.MaxValue) : IFrameScanner
{
    public const int ResyncBudgetPerByte = 4;

    // Small files always get the thorough search: 64 MiB of walking is a few milliseconds.
    private const long MinResyncBudget = 64L * 1024 * 1024;

    private long _budget = Math.Max(ResyncBudgetPerByte * fileLength, MinResyncBudget);
    private int _index;

    /// <summary>Splits a file held whole in memory.</summary>
    public static FrameSplit Split(ReadOnlyMemory<byte> file, int maxFrameBytes = RtpJpegCompatibility.MaxFrameBytes)
    {
        var split = new FrameSplit(maxFrameBytes);
        new ConcatenatedJpegReader(file.Length).Scan(file, 0, final: true, split);
        return split;
    }

    public int Scan(ReadOnlyMemory<byte> window, long windowOffset, bool final, FrameSplit split)
    {
        var pos = 0;
        while (pos < window.Length)
        {
            var start = NextStartOfImage(window.Span, pos);
            if (start < 0)
            {
                // A start of image (three bytes) may begin in the last two.
                return final ? window.Length : Math.Max(pos, window.Length - 2);
            }

            var at = windowOffset + start;
            var outcome = split.TryAdd(window[start..], FrameLocation.At(_index, at), at, final);
            if (outcome.Check == FrameCheck.NeedMoreData)
            {
                if (window.Length - start < windowCapacity)
                {
                    return start;
                }

                split.Skip(FrameSkipReason.TooLarge, FrameLocation.At(_index, at), $"no end of image within {windowCapacity} bytes, over the Origin:MaxFrameBytes limit of {split.MaxFrameBytes}");
                _index++;
                pos = start + 2;
                continue;
            }

            _index++;
            switch (outcome.Check)
            {
                case FrameCheck.Corrupt or FrameCheck.Truncated:
                    // A truncated image is the file's last one, or a corrupt one whose segment length points past
                    // the end: when there is more after its start, that more is searched like any corrupt image's.
                    _budget -= outcome.Length;
                    pos = _budget > 0 ? start + 2 : start + Math.Max(2, outcome.Length);
                    break;
                default:
                    pos = start + outcome.Length;
                    break;
            }
        }

        return window.Length;
    }

    private static int NextStartOfImage(ReadOnlySpan<byte> data, int from)
    {
        ReadOnlySpan<byte> soi = [0xFF, 0xD8, 0xFF];
        var at = data[from..].IndexOf(soi);
        return at < 0 ? -1 : from + at;
    }
}
