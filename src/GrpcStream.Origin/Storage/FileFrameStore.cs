using Google.Protobuf;

namespace GrpcStream.Origin.Storage;

/// <summary>
/// Frames read from the source files where they were found, or from the conversion cache when they had to be
/// converted. Nothing is held open: each read opens its file, so a replaced or removed file costs at most the
/// frames read before the next rescan notices, and never a handle or a crash (a memory-mapped file cut short under
/// its mapping would kill the process with SIGBUS).
/// </summary>
internal sealed class FileFrameStore(IReadOnlyList<string> files, string conversionCachePath) : FrameStore
{
    public override bool InMemory => false;

    public IReadOnlyList<string> Files => files;

    public override ByteString? Read(in FrameRef frame)
    {
        var path = frame.File == FrameRef.ConversionCacheFile ? conversionCachePath : files[frame.File];

        var bytes = GC.AllocateUninitializedArray<byte>(frame.Length);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var done = 0;
            while (done < bytes.Length)
            {
                var read = RandomAccess.Read(handle, bytes.AsSpan(done), frame.Offset + done);
                if (read == 0)
                {
                    return null; // cut short since it was indexed
                }

                done += read;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // A file rewritten in place since it was indexed: what is at the indexed place is no longer that image.
        if (bytes.Length < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8 || bytes[^2] != 0xFF || bytes[^1] != 0xD9)
        {
            return null;
        }

        return UnsafeByteOperations.UnsafeWrap(bytes);
    }

    public override void Discard()
    {
        try
        {
            File.Delete(conversionCachePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the operator; it is keyed by the source's version and never read again.
        }
    }
}
