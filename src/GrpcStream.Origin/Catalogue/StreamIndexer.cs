using GrpcStream.Origin.Conversion;
using GrpcStream.Origin.Settings;
using GrpcStream.Origin.Native;
using GrpcStream.Origin.Storage;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Media;
using Microsoft.Win32.SafeHandles;

namespace GrpcStream.Origin.Catalogue;

/// <summary>
/// Walks one source version, a step at a time, into a <see cref="FrameIndex"/>: finds its frames, checks them,
/// converts those RFC 2435 cannot carry (into the conversion cache) and records where each served frame is.
/// Nothing of the source is kept in memory: a file is read through one window, sized to hold the largest frame
/// allowed, and an image directory one file at a time.
/// </summary>
/// <remarks>
/// The scan runs steps until the first frame is indexed, so that the stream is listed at once; the rest runs in
/// the background (<see cref="StreamCatalogue"/>). One thread at a time calls <see cref="Step"/>.
/// </remarks>
internal sealed class StreamIndexer : IDisposable
{
    /// <summary>The window's first size: a few frames of ordinary video, grown only for a larger frame.</summary>
    public const int InitialWindowBytes = 1 << 20;

    private readonly OriginOptions _options;
    private readonly MediaRoot _root;
    private readonly FrameConverter _converter;
    private readonly FrameSplit _split;
    private readonly IReadOnlyList<string> _files;
    private readonly string _cachePath;
    private readonly int _windowCapacity;
    private ConversionCache? _cache;
    private string? _cacheProblem;
    private bool _ended;

    // A single file: its handle, its scanner and the window over it.
    private SafeFileHandle? _handle;
    private long _fileLength;
    private IFrameScanner? _scanner;
    private byte[] _window = [];
    private int _filled;
    private long _windowOffset;

    // An image directory: the next file, and the bytes read so far.
    private int _nextFile;
    private long _directoryBytes;

    private StreamIndexer(OriginOptions options, MediaRoot root, SourceFormat format, IReadOnlyList<string> files, string cachePath, int initialWindowBytes)
    {
        _options = options;
        _root = root;
        Format = format;
        _files = files;
        _cachePath = cachePath;
        _converter = new FrameConverter(options.ConversionQuality);
        _split = new FrameSplit(options.MaxFrameBytes);
        _windowCapacity = Math.Max(LengthPrefixedReader.MaxRecordBytes, options.MaxFrameBytes + 1);
        _window = format == SourceFormat.JpegDirectory ? [] : new byte[Math.Min(initialWindowBytes, _windowCapacity)];
        Store = new FileFrameStore(files, cachePath);
    }

    public SourceFormat Format { get; }

    public FrameIndex Index { get; } = new();

    public FileFrameStore Store { get; }

    /// <summary>True once the whole source has been walked (or the walk stopped at a limit or an error).</summary>
    public bool Ended => _ended;

    /// <summary>Bytes of the source read so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>
    /// Opens a regular file and tells its format from its first bytes; null, with why, when it cannot be read or is
    /// in no format the origin knows.
    /// </summary>
    public static StreamIndexer? ForFile(OriginOptions options, MediaRoot root, string path, string cachePath, out string? whyNot, int initialWindowBytes = InitialWindowBytes)
    {
        SafeFileHandle? handle = null;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
            var length = RandomAccess.GetLength(handle);
            if (length > options.MaxFileBytes)
            {
                whyNot = $"{length} bytes is over the Origin:MaxFileBytes limit of {options.MaxFileBytes}";
                handle.Dispose();
                return null;
            }

            // Enough for the detector's longest look: a chain of 16 length fields over damaged lab frames.
            var head = new byte[(int)Math.Min(length, 17L * LengthPrefixedReader.MaxRecordBytes)];
            var got = RandomAccess.Read(handle, head, 0);
            if (FormatDetector.Detect(head.AsSpan(0, got)) is not { } format)
            {
                whyNot = "not a supported format (neither 5-digit length-prefixed JPEG frames nor concatenated JPEG images)";
                handle.Dispose();
                return null;
            }

            var indexer = new StreamIndexer(options, root, format, [path], cachePath, initialWindowBytes)
            {
                _handle = handle,
                _fileLength = length,
            };
            indexer._scanner = format == SourceFormat.LengthPrefixed
                ? new LengthPrefixedReader(length)
                : new ConcatenatedJpegReader(length, indexer._windowCapacity);
            whyNot = null;
            return indexer;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Includes a file removed or replaced between the listing and the open.
            handle?.Dispose();
            whyNot = "cannot be read: " + ex.Message;
            return null;
        }
    }

    /// <summary>Walks a directory of images, in play order.</summary>
    public static StreamIndexer ForDirectory(OriginOptions options, MediaRoot root, IReadOnlyList<string> images, string cachePath) =>
        new(options, root, SourceFormat.JpegDirectory, images, cachePath, InitialWindowBytes);

    /// <summary>Walks one window of a file, or one file of a directory; false once there is nothing left.</summary>
    public bool Step()
    {
        if (_ended)
        {
            return false;
        }

        try
        {
            if (Format == SourceFormat.JpegDirectory)
            {
                StepDirectory();
            }
            else
            {
                StepFile();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            End($"the source could not be read to its end ({ex.Message})");
        }

        Index.AddSkipped(_split);
        return !_ended;
    }

    private void StepFile()
    {
        var wanted = (int)Math.Min(_window.Length - _filled, _fileLength - _windowOffset - _filled);
        var read = wanted > 0 ? RandomAccess.Read(_handle!, _window.AsSpan(_filled, wanted), _windowOffset + _filled) : 0;
        _filled += read;
        BytesRead += read;
        var final = _windowOffset + _filled >= _fileLength || read == 0;
        var done = _scanner!.Scan(_window.AsMemory(0, _filled), _windowOffset, final, _split);
        foreach (var frame in _split.Frames)
        {
            Accept(frame, file: 0, key: frame.Offset, where: $"frame at byte {frame.Offset}");
        }

        _split.Frames.Clear();
        if (_ended)
        {
            return; // a limit was reached
        }

        if (final)
        {
            End(read == 0 && _windowOffset + _filled < _fileLength ? "the file was cut short while it was being indexed" : null);
            return;
        }

        if (done == 0 && _filled == _window.Length)
        {
            // A frame larger than the window so far: grow it, up to the largest frame allowed.
            Array.Resize(ref _window, (int)Math.Min((long)_window.Length * 2, _windowCapacity));
            return;
        }

        _window.AsSpan(done, _filled - done).CopyTo(_window);
        _filled -= done;
        _windowOffset += done;
    }

    private void StepDirectory()
    {
        if (_nextFile >= _files.Count)
        {
            End(null);
            return;
        }

        var index = _nextFile++;
        var path = _files[index];
        var name = Path.GetFileName(path);
        if (_root.Admit(path, out var refused) != FileKind.Regular)
        {
            _split.Skip(FrameSkipReason.Unreadable, $"{name}: {refused ?? "not a regular file"}");
            return;
        }

        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = RandomAccess.GetLength(handle);
            if (length > _options.MaxFrameBytes)
            {
                _split.Skip(FrameSkipReason.TooLarge, $"{name}: {length} bytes is over the Origin:MaxFrameBytes limit of {_options.MaxFrameBytes}");
                return;
            }

            if (_directoryBytes + length > _options.MaxStreamBytes)
            {
                _split.Skip(FrameSkipReason.Unreadable, $"{name}: the images so far add up to the Origin:MaxStreamBytes limit of {_options.MaxStreamBytes}");
                return;
            }

            var bytes = new byte[length];
            if (RandomAccess.Read(handle, bytes, 0) < length)
            {
                _split.Skip(FrameSkipReason.Unreadable, $"{name}: it changed while being read");
                return;
            }

            _directoryBytes += length;
            BytesRead += length;
            _split.TryAdd(bytes, FrameLocation.InFile(name));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _split.Skip(FrameSkipReason.Unreadable, $"{name}: {ex.Message}");
            return;
        }

        foreach (var frame in _split.Frames)
        {
            Accept(frame, file: index, key: index, where: name);
        }

        _split.Frames.Clear();
    }

    // Decides what is served for one well-formed source frame, and records where it is.
    private void Accept(in SourceFrame frame, int file, long key, string where)
    {
        if (_ended)
        {
            return;
        }

        if (Index.Count >= _options.MaxFramesPerStream)
        {
            End($"indexed the first {_options.MaxFramesPerStream} frames, the Origin:MaxFramesPerStream limit");
            return;
        }

        // Checked before anything is decoded: the header's size is all a bomb needs to state.
        var info = frame.Info;
        if ((long)info.Width * info.Height > _options.MaxFramePixels)
        {
            _split.Skip(FrameSkipReason.TooManyPixels, $"{where}: {info.Width}x{info.Height} is over the Origin:MaxFramePixels limit of {_options.MaxFramePixels} pixels");
            return;
        }

        var problem = RtpJpegCompatibility.Check(info);
        if (problem is RtpJpegIncompatibility.None or RtpJpegIncompatibility.TooLarge)
        {
            // A scan too large for RFC 2435 cannot be helped by converting; it is served and flagged.
            Index.Add(new FrameRef(frame.Offset, frame.Jpeg.Length, file), info, info, ConversionKind.None, problem);
            return;
        }

        if (OpenCache() is not { } cache)
        {
            _split.Skip(FrameSkipReason.NotConvertible, $"{where}: needs converting, and the conversion cache cannot be written ({_cacheProblem})");
            return;
        }

        if (cache.TryGet(key, out var cached))
        {
            var servedInfo = Index.Count == 0 && JpegParser.TryParse(cache.Read(cached), out var parsed) ? parsed : info;
            Index.Add(new FrameRef(cached.Offset, cached.Length, FrameRef.ConversionCacheFile), info, servedInfo, cached.Kind, cached.Problem, fromCache: true);
            return;
        }

        try
        {
            var converted = _converter.Convert(frame);
            if (converted.Jpeg.Length > _options.MaxFrameBytes)
            {
                _split.Skip(FrameSkipReason.TooLarge, $"{where}: {converted.Jpeg.Length} bytes once converted, over the Origin:MaxFrameBytes limit of {_options.MaxFrameBytes}");
                return;
            }

            cached = cache.Append(key, converted.Jpeg, converted.Conversion, problem);
            Index.Add(new FrameRef(cached.Offset, cached.Length, FrameRef.ConversionCacheFile), info, converted.Info, converted.Conversion, problem);
        }
        catch (JpegConversionException ex)
        {
            _split.Skip(FrameSkipReason.NotConvertible, $"{where}: {ex.Message}");
        }
        catch (IOException ex)
        {
            _split.Skip(FrameSkipReason.NotConvertible, $"{where}: the converted frame cannot be written to the conversion cache ({ex.Message})");
        }
        catch (OutOfMemoryException)
        {
            // Within the pixel limit, but more than this machine has: this stream's problem, not the host's.
            _split.Skip(FrameSkipReason.OutOfMemory, $"{where}: out of memory converting a {info.Width}x{info.Height} frame");
        }
    }

    private ConversionCache? OpenCache()
    {
        if (_cache is null && _cacheProblem is null)
        {
            try
            {
                _cache = ConversionCache.Open(_cachePath, _options.MaxFrameBytes);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _cacheProblem = ex.Message;
            }
        }

        return _cache;
    }

    private void End(string? stoppedEarly)
    {
        _ended = true;
        _window = [];
        _handle?.Dispose();
        _cache?.Dispose();
        Index.AddSkipped(_split);
        Index.Complete(stoppedEarly);
    }

    /// <summary>Stops the walk where it is (the stream version is no longer served, or the origin is stopping).</summary>
    public void Dispose()
    {
        if (!_ended)
        {
            End("indexing was stopped");
        }
    }
}
