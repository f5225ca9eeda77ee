using GrpcStream.Rtsp.Jpeg;

namespace GrpcStream.Origin.Formats;

/// <summary>One well-formed JPEG image found in a source, with what its headers say.</summary>
internal readonly record struct SourceFrame(ReadOnlyMemory<byte> Jpeg, JpegImageInfo Info);

/// <summary>The frames a reader found in one source, and what it had to skip.</summary>
internal sealed class FrameSplit
{
    public List<SourceFrame> Frames { get; } = [];

    /// <summary>Frames that were truncated or corrupt and are left out.</summary>
    public int Skipped { get; private set; }

    /// <summary>The first reason a frame was skipped, for the log.</summary>
    public string? FirstProblem { get; private set; }

    public void Skip(string problem)
    {
        Skipped++;
        FirstProblem ??= problem;
    }

    /// <summary>
    /// Checks that <paramref name="candidate"/> starts with one whole JPEG image and adds it (without anything
    /// after its EOI); otherwise counts it as skipped with <paramref name="where"/> in the reason.
    /// </summary>
    public FrameCheck TryAdd(ReadOnlyMemory<byte> candidate, string where)
    {
        try
        {
            if (JpegParser.TryParse(candidate.Span, out var info))
            {
                Frames.Add(new SourceFrame(candidate[..info.Length], info));
                return FrameCheck.Added;
            }

            Skip($"{where}: truncated JPEG (no end of image)");
            return FrameCheck.Truncated;
        }
        catch (JpegFormatException ex)
        {
            Skip($"{where}: {ex.Message}");
            return FrameCheck.Corrupt;
        }
    }
}

internal enum FrameCheck
{
    Added,

    /// <summary>The input ended before the image did.</summary>
    Truncated,

    /// <summary>The image's structure is broken.</summary>
    Corrupt,
}
