using Google.Protobuf;
using GrpcStream.Origin.Settings;
using Microsoft.Extensions.Options;

namespace GrpcStream.Origin.Storage;

/// <summary>
/// The frames read from disk most recently, up to <c>Origin:FrameCacheBytes</c> in all, shared by every stream:
/// a short source loops from memory, a long one is read as it plays, and the origin's memory stays bounded
/// whatever the size of the media library.
/// </summary>
internal sealed class FrameCache(IOptions<OriginOptions> options)
{
    private readonly long _budget = options.Value.FrameCacheBytes;
    private readonly Lock _gate = new();
    private readonly Dictionary<(long Store, int Frame), LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recent = [];
    private long _bytes;

    /// <summary>Bytes held now.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    public long Hits { get; private set; }

    public long Misses { get; private set; }

    /// <summary>Frame <paramref name="position"/> of <paramref name="store"/>, from the cache or read and kept.</summary>
    public ByteString? Read(FrameStore store, FrameIndex index, int position)
    {
        var frame = index[position];
        if (store.InMemory || _budget <= 0)
        {
            return store.Read(frame);
        }

        var key = (store.Id, position);
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recent.Remove(node);
                _recent.AddFirst(node);
                Hits++;
                return node.Value.Jpeg;
            }

            Misses++;
        }

        // Read outside the lock: other streams' ticks do not wait on this one's disk.
        var jpeg = store.Read(frame);
        if (jpeg is null || jpeg.Length > _budget)
        {
            return jpeg;
        }

        lock (_gate)
        {
            if (!_entries.ContainsKey(key))
            {
                while (_bytes + jpeg.Length > _budget && _recent.Last is { } oldest)
                {
                    _recent.RemoveLast();
                    _entries.Remove(oldest.Value.Key);
                    _bytes -= oldest.Value.Jpeg.Length;
                }

                _entries[key] = _recent.AddFirst(new Entry(key, jpeg));
                _bytes += jpeg.Length;
            }
        }

        return jpeg;
    }

    private sealed record Entry((long Store, int Frame) Key, ByteString Jpeg);
}
