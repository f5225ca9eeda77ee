using GrpcStream.Origin.Conversion;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Media;

namespace GrpcStream.Origin.Storage;

/// <summary>Where one served frame's bytes are: a file of the stream's <see cref="FrameStore"/>, an offset and a length.</summary>
/// <param name="Offset">Where the JPEG starts in its file (for an in-memory store, the frame's number).</param>
/// <param name="Length">The JPEG's length, SOI to EOI.</param>
/// <param name="File">Which of the store's files; <see cref="ConversionCacheFile"/> for a converted frame.</param>
internal readonly record struct FrameRef(long Offset, int Length, int File)
{
    public const int ConversionCacheFile = -1;
}

/// <summary>
/// The frames of one stream version in play order, as places in its files rather than bytes, with what indexing
/// has found so far. Filled by one indexer while any number of threads read it: an entry is written before the
/// count that makes it visible, and entries never move (they live in fixed-size chunks).
/// </summary>
internal sealed class FrameIndex
{
    private const int ChunkBits = 12;
    private const int ChunkSize = 1 << ChunkBits;

    private readonly int[] _skippedByReason = new int[Enum.GetValues<FrameSkipReason>().Length];
    private FrameRef[][] _chunks = [];
    private int _count;
    private volatile bool _complete;
    private long _totalBytes;
    private int _skipped;
    private int _converted;
    private int _convertedFromCache;
    private int _notCarriable;
    private bool _lossy;
    private string? _firstProblem;

    /// <summary>Frames indexed so far; each is playable as soon as it is counted.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>True once the whole source has been indexed (or indexing stopped at a limit or an error).</summary>
    public bool IsComplete => _complete;

    /// <summary>Header values of the first source frame found.</summary>
    public JpegImageInfo SourceInfo { get; private set; }

    /// <summary>Header values of the first served frame.</summary>
    public JpegImageInfo ServedInfo { get; private set; }

    public long TotalBytes => Interlocked.Read(ref _totalBytes);

    public int SkippedFrames => Volatile.Read(ref _skipped);

    public int ConvertedFrames => Volatile.Read(ref _converted);

    /// <summary>Converted frames found already converted in the cache directory rather than converted again.</summary>
    public int ConvertedFromCache => Volatile.Read(ref _convertedFromCache);

    public bool AllConversionsLossless => !_lossy;

    /// <summary>Why the first converted frame needed it; null when none did.</summary>
    public RtpJpegIncompatibility? FirstConversionReason { get; private set; }

    /// <summary>True when every frame indexed so far can go out as RFC 2435 RTP as it is.</summary>
    public bool RtpCarriable => Volatile.Read(ref _notCarriable) == 0;

    /// <summary>The first reason a frame was skipped, for the log.</summary>
    public string? FirstProblem => _firstProblem;

    /// <summary>Skipped frames by reason, for the metrics.</summary>
    public IEnumerable<(FrameSkipReason Reason, int Count)> SkippedByReason =>
        Enum.GetValues<FrameSkipReason>().Where(r => _skippedByReason[(int)r] > 0).Select(r => (r, _skippedByReason[(int)r]));

    /// <summary>Why indexing ended before the end of the source (a limit, an unreadable file); null when it did not.</summary>
    public string? StoppedEarly { get; private set; }

    public FrameRef this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return Volatile.Read(ref _chunks)[index >> ChunkBits][index & (ChunkSize - 1)];
        }
    }

    /// <summary>Adds a served frame (indexer only); <paramref name="served"/> is only read for the first frame.</summary>
    public void Add(FrameRef frame, in JpegImageInfo source, in JpegImageInfo served, ConversionKind conversion, RtpJpegIncompatibility sourceProblem, bool fromCache = false)
    {
        var count = _count;
        if (count == 0)
        {
            SourceInfo = source;
            ServedInfo = served;
        }

        var chunk = count >> ChunkBits;
        if (chunk == _chunks.Length)
        {
            // The chunk list is replaced, never changed in place, so a reader holding the old one still finds its entries.
            FrameRef[][] grown = [.. _chunks, new FrameRef[ChunkSize]];
            Volatile.Write(ref _chunks, grown);
        }

        _chunks[chunk][count & (ChunkSize - 1)] = frame;
        Interlocked.Add(ref _totalBytes, frame.Length);
        if (conversion != ConversionKind.None)
        {
            Interlocked.Increment(ref _converted);
            _lossy |= conversion != ConversionKind.Recoded;
            FirstConversionReason ??= sourceProblem;
            if (fromCache)
            {
                Interlocked.Increment(ref _convertedFromCache);
            }
        }

        // A converted frame was checked carriable when it was made; one served as found is carriable if it had no problem.
        if (conversion == ConversionKind.None && sourceProblem != RtpJpegIncompatibility.None)
        {
            Interlocked.Increment(ref _notCarriable);
        }

        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>Counts the skips of a reader's split into the index's totals (indexer only).</summary>
    public void AddSkipped(FrameSplit split)
    {
        foreach (var (reason, count) in split.SkippedByReason)
        {
            _skippedByReason[(int)reason] = count;
        }

        _firstProblem ??= split.FirstProblem;
        Volatile.Write(ref _skipped, split.Skipped);
    }

    /// <summary>Marks the index finished; <paramref name="stoppedEarly"/> says why when the source was not read to its end.</summary>
    public void Complete(string? stoppedEarly = null)
    {
        StoppedEarly = stoppedEarly;
        _complete = true;
    }
}
