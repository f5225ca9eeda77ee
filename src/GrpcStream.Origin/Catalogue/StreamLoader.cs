using GrpcStream.Origin.Conversion;
using GrpcStream.Origin.Formats;
using GrpcStream.Origin.Hosting;
using GrpcStream.Origin.Native;

namespace GrpcStream.Origin.Catalogue;

/// <summary>Loads one media-root entry into a <see cref="MediaStream"/>: reads, splits, checks and converts its frames.</summary>
internal sealed class StreamLoader(OriginOptions options, ILogger logger)
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

    /// <summary>Loads the entry (a regular file or a directory of images), or returns null with the reason it is not a stream.</summary>
    public MediaStream? Load(string name, string path, FileKind kind, MediaRoot root, SourceFingerprint fingerprint, out string? whyNot)
    {
        FrameSplit split;
        SourceFormat format;
        try
        {
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

                format = SourceFormat.JpegDirectory;
                split = JpegDirectoryReader.Read(JpegDirectoryReader.ListImages(path), root, options.MaxFileBytes, options.MaxStreamBytes, options.MaxFrameBytes);
            }
            else
            {
                var bytes = MediaRoot.ReadFile(path, Math.Min(options.MaxFileBytes, options.MaxStreamBytes), "Origin:MaxFileBytes");
                if (FormatDetector.Detect(bytes) is not { } detected)
                {
                    whyNot = "not a supported format (neither 5-digit length-prefixed JPEG frames nor concatenated JPEG images)";
                    return null;
                }

                format = detected;
                split = format == SourceFormat.LengthPrefixed
                    ? LengthPrefixedReader.Split(bytes, options.MaxFrameBytes)
                    : ConcatenatedJpegReader.Split(bytes, options.MaxFrameBytes);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Includes a file or directory removed or replaced between the listing and the read.
            whyNot = "cannot be read: " + ex.Message;
            return null;
        }
        catch (OutOfMemoryException)
        {
            whyNot = $"out of memory reading {fingerprint.Length} bytes";
            return null;
        }

        return Build(name, format, split, fingerprint, out whyNot);
    }

    /// <summary>Converts what a reader found and makes the stream, or says why there is none.</summary>
    public MediaStream? Build(string name, SourceFormat format, FrameSplit split, SourceFingerprint fingerprint, out string? whyNot)
    {
        var served = new List<ServedFrame>(split.Frames.Count);
        foreach (var (index, frame) in split.Frames.Index())
        {
            // Checked before anything is decoded: the header's size is all a bomb needs to state.
            var pixels = (long)frame.Info.Width * frame.Info.Height;
            if (pixels > options.MaxFramePixels)
            {
                split.Skip(FrameSkipReason.TooManyPixels, $"frame {index}: {frame.Info.Width}x{frame.Info.Height} is over the Origin:MaxFramePixels limit of {options.MaxFramePixels} pixels");
                continue;
            }

            try
            {
                var converted = _converter.Convert(frame);
                if (converted.Jpeg.Length > options.MaxFrameBytes)
                {
                    split.Skip(FrameSkipReason.TooLarge, $"frame {index}: {converted.Jpeg.Length} bytes once converted, over the Origin:MaxFrameBytes limit of {options.MaxFrameBytes}");
                    continue;
                }

                served.Add(converted);
            }
            catch (JpegConversionException ex)
            {
                split.Skip(FrameSkipReason.NotConvertible, $"frame {index}: {ex.Message}");
            }
            catch (OutOfMemoryException)
            {
                // Within the pixel limit, but more than this machine has: this stream's problem, not the host's.
                split.Skip(FrameSkipReason.OutOfMemory, $"frame {index}: out of memory converting a {frame.Info.Width}x{frame.Info.Height} frame");
            }
        }

        if (split.Skipped > 0)
        {
            OriginLog.FramesSkipped(logger, name, split.Skipped, split.FirstProblem ?? "unknown");
        }

        if (served.Count == 0)
        {
            whyNot = "no valid frame" + (split.FirstProblem is null ? string.Empty : $" (first problem: {split.FirstProblem})");
            return null;
        }

        whyNot = null;
        var stream = new MediaStream(name, format, options.FrameRateFor(name), served, split, fingerprint);
        if (stream.ConvertedFrames > 0)
        {
            OriginLog.FramesConverted(logger, name, stream.ConvertedFrames, stream.FirstConversionReason!.Value.ToString(), stream.AllConversionsLossless);
        }

        return stream;
    }
}
