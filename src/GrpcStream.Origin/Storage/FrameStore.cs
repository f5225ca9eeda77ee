using Google.Protobuf;

namespace GrpcStream.Origin.Storage;

/// <summary>Where a stream's frame bytes live: read one frame by its <see cref="FrameRef"/>.</summary>
internal abstract class FrameStore
{
    private static long _nextId;

    /// <summary>Tells stores apart in the <see cref="FrameCache"/>; never reused within a process.</summary>
    public long Id { get; } = Interlocked.Increment(ref _nextId);

    /// <summary>True when reading costs nothing (the bytes are in memory): such frames are not cached.</summary>
    public abstract bool InMemory { get; }

    /// <summary>The frame's JPEG, or null when it can no longer be read as indexed (the file changed or went away).</summary>
    public abstract ByteString? Read(in FrameRef frame);

    /// <summary>Removes what this store made (its conversion cache file) once the stream version is no longer served.</summary>
    public virtual void Discard()
    {
    }
}

/// <summary>Frames held in memory: the generated sample.</summary>
internal sealed class MemoryFrameStore(IReadOnlyList<ByteString> frames) : FrameStore
{
    public override bool InMemory => true;

    public override ByteString? Read(in FrameRef frame) => frames[(int)frame.Offset];
}
