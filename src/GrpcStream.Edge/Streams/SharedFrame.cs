using System.Collections.Concurrent;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.Edge.Streams;

/// <summary>
/// One frame from the origin, packetized once and shared by every session of its stream. Reference counted:
/// the hub holds it while it is the latest frame, each TCP writer while the frame waits in its queue; the last
/// release returns it to the pool, so steady-state playback allocates no frame buffers.
/// </summary>
internal sealed class SharedFrame
{
    private readonly ConcurrentBag<SharedFrame> _pool;
    private byte[] _wholeFrame = [];
    private int _references;

    private SharedFrame(ConcurrentBag<SharedFrame> pool)
    {
        _pool = pool;
    }

    public PacketizedFrame Packets { get; } = new();

    /// <summary>The low 32 bits of the origin's 90 kHz presentation time.</summary>
    public uint Pts { get; private set; }

    /// <summary>The origin's 90 kHz presentation time, whole.</summary>
    public ulong Pts90Khz { get; private set; }

    /// <summary>The origin's sequence number of the frame.</summary>
    public ulong Sequence { get; private set; }

    /// <summary>When the frame arrived (<see cref="TimeProvider.GetTimestamp"/>), for RTCP sender reports.</summary>
    public long ArrivedAt { get; private set; }

    /// <summary>
    /// The whole JPEG after <see cref="RtpHeader.Size"/> bytes of room: the lab client's one-frame-per-packet form,
    /// whose header each lab session writes in turn under the hub's send lock.
    /// </summary>
    public Memory<byte> WholeFramePacket { get; private set; }

    /// <summary>The whole JPEG as the origin sent it: for HTTP viewers and snapshots. Never written to.</summary>
    public ReadOnlyMemory<byte> Jpeg => WholeFramePacket[RtpHeader.Size..];

    public static SharedFrame Rent(ConcurrentBag<SharedFrame> pool) => pool.TryTake(out var frame) ? frame : new SharedFrame(pool);

    /// <summary>
    /// Fills the frame; it starts with one reference, the caller's. The JPEG is kept whole too (one copy per frame
    /// and stream, not per session), so a snapshot or a new HTTP viewer can have the latest frame at any time.
    /// </summary>
    public void Set(ulong sequence, ulong pts, long arrivedAt, ReadOnlySpan<byte> jpeg)
    {
        Sequence = sequence;
        Pts90Khz = pts;
        Pts = (uint)pts;
        ArrivedAt = arrivedAt;
        _references = 1;
        var length = RtpHeader.Size + jpeg.Length;
        if (_wholeFrame.Length < length)
        {
            _wholeFrame = new byte[Math.Max(length, _wholeFrame.Length * 2)];
        }

        jpeg.CopyTo(_wholeFrame.AsSpan(RtpHeader.Size));
        WholeFramePacket = _wholeFrame.AsMemory(0, length);
    }

    public void AddReference() => Interlocked.Increment(ref _references);

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _pool.Add(this);
        }
    }
}
