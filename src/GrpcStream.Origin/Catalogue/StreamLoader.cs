using System.Globalization;
using Google.Protobuf;
using GrpcStream.Origin.Conversion;
using GrpcStream.Origin.Settings;
using GrpcStream.Origin.Native;
using GrpcStream.Origin.Storage;
using GrpcStream.Rtsp.Media;

namespace GrpcStream.Origin.Catalogue;

/// <summary>
/// Opens one media-root entry as a stream: finds and checks its first frame, so that the stream can be listed at
/// once, and hands back the indexer that goes on with the rest.
/// </summary>
internal sealed class StreamLoader(OriginOptions options)
{
    private readonly FrameConverter _converter = new(options.ConversionQuality);

    /// <summary>The fingerprint of a file or image directory (of <paramref name="kind"/>), read without opening anything.</summary>
    /// <exception cref="IOException">The entry changed or vanished while being looked at.</exception>
    public static SourceFingerprint Fingerprint(string path, FileKind kind)
    {
        if (kind == FileKind.Regular)
        {
            var file = new FileInfo(path);
            return new SourceFingerprint(file.Length, file.LastWriteTimeUtc, 1);
        }

        long length = 0;
        var latest = Directory.GetLastWriteTimeUtc(path);
        var images = JpegDirectoryReader.ListImages(path);
        foreach (var image in images)
        {
            var info = new FileInfo(image);
            if (info.Exists)
            {
                length += info.Length;
                latest = info.LastWriteTimeUtc > latest ? info.LastWriteTimeUtc : latest;
            }
        }

        return new SourceFingerprint(length, latest, images.Length);
    }

    /// <summary>
    /// Opens the entry (a regular file or a directory of images) and indexes it up to its first served frame (a
    /// small source to its end); null with the reason when it is not a stream. The caller runs the returned indexer
    /// on to the end.
    /// </summary>
    public (MediaStream Stream, StreamIndexer Indexer)? Open(string name, string path, FileKind kind, MediaRoot root, SourceFingerprint fingerprint, out string? whyNot)
    {
        var cachePath = ConversionCache.PathFor(options.CacheDirectory, Identity(path, fingerprint));
        StreamIndexer? indexer;
        if (kind == FileKind.Directory)
        {
            if (fingerprint.FileCount == 0)
            {
                whyNot = "the directory has no .jpg or .jpeg files";
                return null;
            }

            if (fingerprint.Length > options.MaxStreamBytes)
            {
                whyNot = $"its images add up to {fingerprint.Length} bytes, over the Origin:MaxStreamBytes limit of {options.MaxStreamBytes}";
                return null;
            }

            string[] images;
            try
            {
                images = JpegDirectoryReader.ListImages(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                whyNot = "cannot be read: " + ex.Message;
                return null;
            }

            indexer = StreamIndexer.ForDirectory(options, root, images, cachePath);
        }
        else
        {
            indexer = StreamIndexer.ForFile(options, root, path, cachePath, out whyNot);
            if (indexer is null)
            {
                return null;
            }
        }

        // Up to the first frame, and on to the end of a small source (one window's worth): a short clip is listed
        // whole, a long one after a bounded read.
        while ((indexer.Index.Count == 0 || indexer.BytesRead < StreamIndexer.InitialWindowBytes) && indexer.Step())
        {
        }

        if (indexer.Index.Count == 0)
        {
            whyNot = "no valid frame" + (indexer.Index.FirstProblem is { } first ? $" (first problem: {first})" : string.Empty);
            indexer.Dispose();
            indexer.Store.Discard();
            return null;
        }

        whyNot = null;
        return (new MediaStream(name, indexer.Format, options.FrameRateFor(name), fingerprint, indexer.Store, indexer.Index), indexer);
    }

    /// <summary>
    /// A stream whose frames are already in memory (the generated sample): converted where needed and indexed
    /// whole. Null, with why, when no frame is usable.
    /// </summary>
    public MediaStream? FromMemory(string name, SourceFormat format, FrameSplit split, SourceFingerprint fingerprint, out string? whyNot)
    {
        var index = new FrameIndex();
        var frames = new List<ByteString>(split.Frames.Count);
        foreach (var (i, frame) in split.Frames.Index())
        {
            if ((long)frame.Info.Width * frame.Info.Height > options.MaxFramePixels)
            {
                split.Skip(FrameSkipReason.TooManyPixels, $"frame {i}: {frame.Info.Width}x{frame.Info.Height} is over the Origin:MaxFramePixels limit of {options.MaxFramePixels} pixels");
                continue;
            }

            try
            {
                var served = _converter.Convert(frame);
                if (served.Jpeg.Length > options.MaxFrameBytes)
                {
                    split.Skip(FrameSkipReason.TooLarge, $"frame {i}: {served.Jpeg.Length} bytes once converted, over the Origin:MaxFrameBytes limit of {options.MaxFrameBytes}");
                    continue;
                }

                index.Add(new FrameRef(frames.Count, served.Jpeg.Length, 0), frame.Info, served.Info, served.Conversion, served.SourceProblem);
                frames.Add(UnsafeByteOperations.UnsafeWrap(served.Jpeg));
            }
            catch (JpegConversionException ex)
            {
                split.Skip(FrameSkipReason.NotConvertible, $"frame {i}: {ex.Message}");
            }
        }

        index.AddSkipped(split);
        index.Complete();
        if (index.Count == 0)
        {
            whyNot = "no valid frame" + (split.FirstProblem is null ? string.Empty : $" (first problem: {split.FirstProblem})");
            return null;
        }

        whyNot = null;
        return new MediaStream(name, format, options.FrameRateFor(name), fingerprint, new MemoryFrameStore(frames), index);
    }

    // What makes a conversion reusable: the same source version, converted with the same settings.
    private string Identity(string path, SourceFingerprint fingerprint) => string.Join(
        '\n',
        Path.GetFullPath(path),
        fingerprint.Length.ToString(CultureInfo.InvariantCulture),
        fingerprint.LastWriteUtc.Ticks.ToString(CultureInfo.InvariantCulture),
        fingerprint.FileCount.ToString(CultureInfo.InvariantCulture),
        options.ConversionQuality.ToString(CultureInfo.InvariantCulture),
        options.MaxFrameBytes.ToString(CultureInfo.InvariantCulture));
}
