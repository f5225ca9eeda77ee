using GrpcStream.Rtsp.Jpeg;

namespace GrpcStream.Rtsp.Media;

/// <summary>One well-formed JPEG image found in a source, with what its headers say and where it starts in the source.</summary>
public readonly record struct SourceFrame(ReadOnlyMemory<byte> Jpeg, JpegImageInfo Info, long Offset = 0);

/// <summary>Where a candidate frame is in its source, for the reason it was skipped: a file, or a frame and its offset.</summary>
public readonly record struct FrameLocation(string? File, int Index, long Offset)
{
    public static FrameLocation InFile(string file) => new(file, 0, 0);

    public static FrameLocation At(int index, long offset) => new(null, index, offset);

    public override string ToString() => File ?? $"frame {Index} at byte {Offset}";
}

/// <summary>The frames a reader found in one source, and what it had to skip.</summary>
public sealed class FrameSplit(int maxFrameBytes = RtpJpegCompatibility.MaxFrameBytes)
{
    public List<SourceFrame> Frames { get; } = [];

    private readonly int[] _skipped = new int[Enum.GetValues<FrameSkipReason>().Length];

    /// <summary>Frames that were truncated, corrupt or too large and are left out.</summary>
    public int Skipped { get; private set; }

    /// <summary>The first reason a frame was skipped, for the log.</summary>
    public string? FirstProblem { get; private set; }

    /// <summary>Bytes the parser walked over in all candidates, added or not: the work a split cost.</summary>
    public long ExaminedBytes { get; private set; }

    /// <summary>Skipped frames by reason, for the metrics.</summary>
    public IEnumerable<(FrameSkipReason Reason, int Count)> SkippedByReason =>
        Enum.GetValues<FrameSkipReason>().Where(r => _skipped[(int)r] > 0).Select(r => (r, _skipped[(int)r]));

    public void Skip(FrameSkipReason reason, string problem)
    {
        Skipped++;
        _skipped[(int)reason]++;
        FirstProblem ??= problem;
    }

    /// <summary>The most bytes a frame may have (<c>Origin:MaxFrameBytes</c>).</summary>
    public int MaxFrameBytes => maxFrameBytes;

    /// <summary>
    /// Checks that <paramref name="candidate"/> starts with one whole JPEG image and adds it (without anything
    /// after its EOI); otherwise counts it as skipped, saying <paramref name="where"/>. Throws nothing, so that a
    /// reader may try a candidate at every start-of-image marker of a damaged file.
    /// </summary>
    /// <param name="candidate">The bytes from the image's start to the end of what is in hand.</param>
    /// <param name="where">Where the candidate is, for the reason it is skipped.</param>
    /// <param name="offset">Where the candidate starts in its source, kept with the frame.</param>
    /// <param name="final">
    /// False when the source goes on past <paramref name="candidate"/>: an image that runs past its end is then
    /// <see cref="FrameCheck.NeedMoreData"/>, with nothing counted, rather than truncated.
    /// </param>
    public FrameOutcome TryAdd(ReadOnlyMemory<byte> candidate, FrameLocation where, long offset = 0, bool final = true)
    {
        var outcome = Check(candidate, where, offset, final);
        ExaminedBytes += outcome.Length;
        return outcome;
    }

    private FrameOutcome Check(ReadOnlyMemory<byte> candidate, FrameLocation where, long offset, bool final)
    {
        switch (JpegParser.Parse(candidate.Span, out var info, out var problem))
        {
            case JpegParseStatus.Complete when info.Length > maxFrameBytes:
                Skip(FrameSkipReason.TooLarge, where, $"{info.Length} bytes is over the Origin:MaxFrameBytes limit of {maxFrameBytes}");
                return new FrameOutcome(FrameCheck.TooLarge, info.Length);
            case JpegParseStatus.Complete:
                Frames.Add(new SourceFrame(candidate[..info.Length], info, offset));
                return new FrameOutcome(FrameCheck.Added, info.Length);
            case JpegParseStatus.NeedMoreData when !final:
                return new FrameOutcome(FrameCheck.NeedMoreData, 0);
            case JpegParseStatus.NeedMoreData:
                Skip(FrameSkipReason.Truncated, where, "truncated JPEG (no end of image)");
                return new FrameOutcome(FrameCheck.Truncated, candidate.Length);
            default:
                Skip(FrameSkipReason.Corrupt, where, problem.ToString());
                return new FrameOutcome(FrameCheck.Corrupt, problem.Offset);
        }
    }

    // The reason is only formatted for the first skip: a damaged file can have a candidate every few bytes.
    public void Skip(FrameSkipReason reason, FrameLocation where, string problem)
    {
        Skipped++;
        _skipped[(int)reason]++;
        FirstProblem ??= $"{where}: {problem}";
    }
}

/// <summary>What became of a candidate, and how many of its bytes that covers.</summary>
/// <param name="Check">What became of it.</param>
/// <param name="Length">The image's length when added or too large; where the problem was found when corrupt.</param>
public readonly record struct FrameOutcome(FrameCheck Check, int Length);

public enum FrameCheck
{
    Added,

    /// <summary>A whole image, skipped for its size.</summary>
    TooLarge,

    /// <summary>The input ended before the image did.</summary>
    Truncated,

    /// <summary>The image's structure is broken.</summary>
    Corrupt,

    /// <summary>The image runs past the bytes in hand, and the source has more: nothing was counted.</summary>
    NeedMoreData,
}

/// <summary>Why a frame was left out; the metrics' <c>reason</c> label.</summary>
public enum FrameSkipReason
{
    Truncated,
    Corrupt,

    /// <summary>Over <c>Origin:MaxFrameBytes</c>.</summary>
    TooLarge,

    /// <summary>Over <c>Origin:MaxFramePixels</c>.</summary>
    TooManyPixels,

    /// <summary>Could not be made carriable as RFC 2435.</summary>
    NotConvertible,

    OutOfMemory,

    /// <summary>A file of an image directory that could not be read, or is not a regular file in the media root.</summary>
    Unreadable,
}
