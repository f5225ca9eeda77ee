using System.Runtime.CompilerServices;
using GrpcStream.Rtsp.Jpeg;

namespace GrpcStream.Rtsp.Media;

/// <summary>
/// The frames of a media file or folder, in any format the origin serves (length-prefixed, concatenated JPEG, a
/// folder of .jpg files), read front to back through a bounded window: what a publisher sends. Frames the origin
/// would skip (truncated, corrupt, over the size limit) are skipped and counted here too.
/// </summary>
public sealed class MediaSource
{
    private const int InitialWindowBytes = 1 << 20;

    private readonly string _path;
    private readonly int _maxFrameBytes;

    private MediaSource(string path, SourceFormat format, int maxFrameBytes)
    {
        _path = path;
        Format = format;
        _maxFrameBytes = maxFrameBytes;
    }

    public SourceFormat Format { get; }

    /// <summary>Frames skipped in the pass going on, or the last one.</summary>
    public int Skipped { get; private set; }

    /// <summary>Why the first skipped frame was skipped.</summary>
    public string? FirstProblem { get; private set; }

    /// <summary>Opens <paramref name="path"/>, telling its format from its first bytes (a folder is a folder of images).</summary>
    /// <exception cref="FileNotFoundException">Nothing is at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not in a format the origin reads, or the folder has no .jpg files.</exception>
    public static MediaSource Open(string path, int maxFrameBytes = RtpJpegCompatibility.MaxFrameBytes)
    {
        if (Directory.Exists(path))
        {
            return JpegDirectoryReader.ListImages(path).Length > 0
                ? new MediaSource(path, SourceFormat.JpegDirectory, maxFrameBytes)
                : throw new InvalidDataException($"{path} has no .jpg or .jpeg files");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file or folder", path);
        }

        Span<byte> head = stackalloc byte[4096];
        int read;
        using (var file = File.OpenRead(path))
        {
            read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        return FormatDetector.Detect(head[..read]) is { } format
            ? new MediaSource(path, format, maxFrameBytes)
            : throw new InvalidDataException($"{path} is not a stream: neither JPEG images back to back nor the length-prefixed format");
    }

    /// <summary>One pass over the frames. Each is valid only until the next is asked for.</summary>
    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(CancellationToken cancellationToken = default) =>
        Format == SourceFormat.JpegDirectory ? ReadDirectoryAsync(cancellationToken) : ReadFileAsync(cancellationToken);

    private async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadDirectoryAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var split = new FrameSplit(_maxFrameBytes);
        Skipped = 0;
        foreach (var image in JpegDirectoryReader.ListImages(_path))
        {
            var bytes = await File.ReadAllBytesAsync(image, cancellationToken).ConfigureAwait(false);
            split.TryAdd(bytes, FrameLocation.InFile(image));
            foreach (var frame in split.Frames)
            {
                yield return frame.Jpeg;
            }

            Count(split);
        }
    }

    private async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadFileAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var split = new FrameSplit(_maxFrameBytes);
        Skipped = 0;
        var capacity = Math.Max(LengthPrefixedReader.MaxRecordBytes, _maxFrameBytes + 1);
        var window = new byte[Math.Min(InitialWindowBytes, capacity)];
        using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, useAsync: true);
        var length = file.Length;
        IFrameScanner scanner = Format == SourceFormat.LengthPrefixed ? new LengthPrefixedReader(length) : new ConcatenatedJpegReader(length, capacity);
        long offset = 0;
        var filled = 0;
        while (true)
        {
            var read = await file.ReadAsync(window.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            filled += read;
            var final = read == 0 || offset + filled >= length;
            var done = scanner.Scan(window.AsMemory(0, filled), offset, final, split);
            foreach (var frame in split.Frames)
            {
                yield return frame.Jpeg;
            }

            Count(split);
            if (final)
            {
                yield break;
            }

            if (done == 0 && filled == window.Length)
            {
                // A frame longer than the window: a bigger one, up to the largest frame allowed.
                Array.Resize(ref window, (int)Math.Min((long)window.Length * 2, capacity));
                continue;
            }

            window.AsSpan(done, filled - done).CopyTo(window);
            offset += done;
            filled -= done;
        }
    }

    private void Count(FrameSplit split)
    {
        split.Frames.Clear();
        Skipped = split.Skipped;
        FirstProblem ??= split.FirstProblem;
    }
}
