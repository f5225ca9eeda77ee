using Google.Protobuf;
using GrpcStream.Origin.Storage;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Media;

namespace GrpcStream.Origin.Catalogue;

/// <summary>
/// One version of a stream: its name and clock, and its frames as an index into a <see cref="FrameStore"/>. The
/// index may still be growing (a large source is listed as soon as its first frame is found); every frame in it
/// is playable. A changed source is a new instance that replaces this one.
/// </summary>
internal sealed class MediaStream
{
    private volatile bool _retired;

    public MediaStream(string name, SourceFormat format, double frameRate, SourceFingerprint fingerprint, FrameStore store, FrameIndex index)
    {
        ArgumentOutOfRangeException.ThrowIfZero(index.Count);
        Name = name;
        Format = format;
        FrameRate = frameRate;
        Fingerprint = fingerprint;
        Store = store;
        Index = index;
    }

    public string Name { get; }

    public SourceFormat Format { get; }

    public double FrameRate { get; }

    public SourceFingerprint Fingerprint { get; }

    public FrameStore Store { get; }

    /// <summary>The served frames in play order (never empty).</summary>
    public FrameIndex Index { get; }

    /// <summary>Header values of the first source frame, as found.</summary>
    public JpegImageInfo SourceInfo => Index.SourceInfo;

    /// <summary>Header values of the first served frame.</summary>
    public JpegImageInfo ServedInfo => Index.ServedInfo;

    /// <summary>True once this version has left the catalogue: indexing it stops.</summary>
    public bool Retired => _retired;

    /// <summary>Frame <paramref name="position"/> of the index, through <paramref name="cache"/>; null when it cannot be read now.</summary>
    public ByteString? ReadFrame(int position, FrameCache cache) => cache.Read(Store, Index, position);

    /// <summary>Marks this version as no longer served: its indexing stops, and what it stored is removed.</summary>
    public void Retire()
    {
        _retired = true;
        Store.Discard();
    }
}

/// <summary>What identifies one version of a source on disk: a change means it must be indexed again.</summary>
internal readonly record struct SourceFingerprint(long Length, DateTime LastWriteUtc, int FileCount);
