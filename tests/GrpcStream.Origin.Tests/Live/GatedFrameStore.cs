using Google.Protobuf;
using GrpcStream.Origin.Storage;

namespace GrpcStream.Origin.Tests.Live;

/// <summary>
/// A store of one frame whose reads wait until the test opens it: a slow disk, on cue. Counts the reads begun, so
/// that a test knows when one is under way (and how many clocks started).
/// </summary>
internal sealed class GatedFrameStore(bool open = false) : FrameStore
{
    /// <summary>Not a JPEG anyone decodes: the hub and its channels pass the bytes on as they are.</summary>
    public static readonly ByteString Jpeg = ByteString.CopyFrom(0xFF, 0xD8, 0xFF, 0xD9);

    // A read the test never lets finish fails it rather than hang it.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource _open = Opened(open);
    private int _readsBegun;

    // Not in memory, so that the frame cache is asked (and, with no budget, reads through).
    public override bool InMemory => false;

    public int ReadsBegun => Volatile.Read(ref _readsBegun);

    public override ByteString? Read(in FrameRef frame)
    {
        Interlocked.Increment(ref _readsBegun);
        return _open.Task.Wait(Deadline) ? Jpeg : throw new TimeoutException("The test never let the frame read finish.");
    }

    public void Open() => _open.TrySetResult();

    private static TaskCompletionSource Opened(bool open)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (open)
        {
            gate.SetResult();
        }

        return gate;
    }
}
