using Google.Protobuf;
using GrpcStream.Origin.Conversion;
using GrpcStream.Origin.Formats;
using GrpcStream.Rtsp.Jpeg;

namespace GrpcStream.Origin.Catalogue;

/// <summary>
/// A stream loaded and ready to play: its served frames in play order, each wrapped once as a protobuf
/// <see cref="ByteString"/> over the loaded bytes so that every subscriber's message shares the same buffer.
/// Immutable; a changed source is loaded into a new instance that replaces this one.
/// </summary>
internal sealed class MediaStream
{
    public MediaStream(string name, SourceFormat format, double frameRate, IReadOnlyList<ServedFrame> frames, FrameSplit split, SourceFingerprint fingerprint)
    {
        ArgumentOutOfRangeException.ThrowIfZero(frames.Count);
        Name = name;
        Format = format;
        FrameRate = frameRate;
        SkippedFrames = split.Skipped;
        SkippedByReason = [.. split.SkippedByReason];
        Fingerprint = fingerprint;
        SourceInfo = split.Frames[0].Info;
        ServedInfo = frames[0].Info;
        Frames = new ByteString[frames.Count];
        foreach (var (i, frame) in frames.Index())
        {
            Frames[i] = UnsafeByteOperations.UnsafeWrap(frame.Jpeg);
            TotalBytes += frame.Jpeg.Length;
            if (frame.Conversion != ConversionKind.None)
            {
                ConvertedFrames++;
                AllConversionsLossless &= frame.Conversion == ConversionKind.Recoded;
                FirstConversionReason ??= frame.SourceProblem;
            }

            if (RtpJpegCompatibility.Check(frame.Info) != RtpJpegIncompatibility.None)
            {
                RtpCarriable = false;
            }
        }
    }

    public string Name { get; }

    public SourceFormat Format { get; }

    public double FrameRate { get; }

    /// <summary>The served frames (never empty); the bytes must not be changed.</summary>
    public ByteString[] Frames { get; }

    public int SkippedFrames { get; }

    /// <summary>Skipped frames by reason, for the metrics.</summary>
    public IReadOnlyList<(FrameSkipReason Reason, int Count)> SkippedByReason { get; }

    public SourceFingerprint Fingerprint { get; }

    /// <summary>Header values of the first source frame, as found.</summary>
    public JpegImageInfo SourceInfo { get; }

    /// <summary>Header values of the first served frame.</summary>
    public JpegImageInfo ServedInfo { get; }

    public long TotalBytes { get; }

    public int ConvertedFrames { get; }

    public bool AllConversionsLossless { get; } = true;

    /// <summary>Why the first converted frame needed it; null when none did.</summary>
    public RtpJpegIncompatibility? FirstConversionReason { get; }

    /// <summary>True when every served frame can go out as RFC 2435 RTP as it is.</summary>
    public bool RtpCarriable { get; } = true;
}

/// <summary>What identifies one version of a source on disk: a change means it must be loaded again.</summary>
internal readonly record struct SourceFingerprint(long Length, DateTime LastWriteUtc, int FileCount);
