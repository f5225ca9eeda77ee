using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using GrpcStream.Rtsp.Jpeg;

namespace GrpcStream.Origin.Conversion;

/// <summary>A converted frame in the cache file: where its JPEG is, and what conversion made it.</summary>
internal readonly record struct CachedFrame(long Offset, int Length, ConversionKind Kind, RtpJpegIncompatibility Problem);

/// <summary>
/// The converted frames of one source version, kept on disk under <c>Origin:CacheDirectory</c> so that a frame is
/// converted once, not at every start, and is read like any other frame rather than held in memory.
/// </summary>
/// <remarks>
/// One file per source version, named by a hash of the source's path, size and modification time and of the
/// settings that shape the output, so that a changed source or setting never meets an old conversion. The file is
/// a list of records, each a 16-byte header (the frame's key in its source, the JPEG's length, the conversion
/// kind and the problem it fixed) and the JPEG; records are only appended. A record cut short (the origin stopped
/// while writing it) is cut off when the file is next opened.
/// </remarks>
internal sealed class ConversionCache : IDisposable
{
    private const int HeaderSize = 16;
    private const string Suffix = ".frames";

    private readonly SafeFileHandle _file;
    private readonly Dictionary<long, CachedFrame> _frames = [];
    private long _end;

    private ConversionCache(SafeFileHandle file, int maxFrameBytes)
    {
        _file = file;
        Load(maxFrameBytes);
    }

    /// <summary>Frames that were already in the file when it was opened.</summary>
    public int Reused { get; private set; }

    /// <summary>The cache file's path for one source version (<paramref name="identity"/> names the source and its version).</summary>
    public static string PathFor(string directory, string identity)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("grpcstream-conversion-v1\n" + identity));
        return Path.Combine(directory, Convert.ToHexStringLower(hash.AsSpan(0, 16)) + Suffix);
    }

    /// <summary>Opens (creating it and its directory when missing) the cache file at <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The directory cannot be made or the file cannot be opened for writing.</exception>
    /// <exception cref="UnauthorizedAccessException">Not allowed to write there.</exception>
    public static ConversionCache Open(string path, int maxFrameBytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        return new ConversionCache(file, maxFrameBytes);
    }

    public bool TryGet(long key, out CachedFrame frame) => _frames.TryGetValue(key, out frame);

    /// <summary>Appends a converted frame and returns where it is.</summary>
    /// <exception cref="IOException">The write failed (a full disk).</exception>
    public CachedFrame Append(long key, ReadOnlyMemory<byte> jpeg, ConversionKind kind, RtpJpegIncompatibility problem)
    {
        var header = new byte[HeaderSize];
        BinaryPrimitives.WriteInt64LittleEndian(header, key);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), jpeg.Length);
        header[12] = (byte)kind;
        header[13] = (byte)problem;
        RandomAccess.Write(_file, [header, jpeg], _end);
        var frame = new CachedFrame(_end + HeaderSize, jpeg.Length, kind, problem);
        _end += HeaderSize + jpeg.Length;
        _frames[key] = frame;
        return frame;
    }

    /// <summary>A cached frame's bytes.</summary>
    public byte[] Read(in CachedFrame frame)
    {
        var bytes = new byte[frame.Length];
        if (RandomAccess.Read(_file, bytes, frame.Offset) < bytes.Length)
        {
            throw new IOException("the conversion cache file was cut short");
        }

        return bytes;
    }

    private void Load(int maxFrameBytes)
    {
        var length = RandomAccess.GetLength(_file);
        Span<byte> header = stackalloc byte[HeaderSize];
        long at = 0;
        while (length - at >= HeaderSize && RandomAccess.Read(_file, header, at) == HeaderSize)
        {
            var key = BinaryPrimitives.ReadInt64LittleEndian(header);
            var size = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
            var kind = (ConversionKind)header[12];
            if (size < 4 || size > maxFrameBytes || size > length - at - HeaderSize || kind is not (ConversionKind.Recoded or ConversionKind.Reencoded))
            {
                break;
            }

            _frames[key] = new CachedFrame(at + HeaderSize, size, kind, (RtpJpegIncompatibility)header[13]);
            at += HeaderSize + size;
        }

        // Whatever follows the last whole record is a write that did not finish: later records go in its place.
        _end = at;
        if (at < length)
        {
            RandomAccess.SetLength(_file, at);
        }

        Reused = _frames.Count;
    }

    public void Dispose() => _file.Dispose();
}
