using GrpcStream.Origin.Conversion;
using GrpcStream.Origin.Formats;
using GrpcStream.Origin.Hosting;

namespace GrpcStream.Origin.Catalogue;

/// <summary>Loads one media-root entry into a <see cref="MediaStream"/>: reads, splits, checks and converts its frames.</summary>
internal sealed class StreamLoader(OriginOptions options, ILogger logger)
{
    private readonly FrameConverter _converter = new(options.ConversionQuality);

    /// <summary>The fingerprint of a file or image directory, or null when it is neither.</summary>
    public static SourceFingerprint? Fingerprint(string path)
    {
        if (File.Exists(path))
        {
            var file = new FileInfo(path);
            return new SourceFingerprint(file.Length, file.LastWriteTimeUtc, 1);
        }

        if (!Directory.Exists(path))
        {
            return null;
        }

        long length = 0;
        var latest = Directory.GetLastWriteTimeUtc(path);
        var images = JpegDirectoryReader.ListImages(path);
        foreach (var image in images)
        {
            var info = new FileInfo(image);
            length += info.Length;
            latest = info.LastWriteTimeUtc > latest ? info.LastWriteTimeUtc : latest;
        }

        return new SourceFingerprint(length, latest, images.Length);
    }

    /// <summary>Loads the entry, or returns null with the reason it is not a stream.</summary>
    public MediaStream? Load(string name, string path, SourceFingerprint fingerprint, out string? whyNot)
    {
        FrameSplit split;
        SourceFormat format;
        if (Directory.Exists(path))
        {
            var images = JpegDirectoryReader.ListImages(path);
            if (images.Length == 0)
            {
                whyNot = "the directory has no .jpg or .jpeg files";
                return null;
            }

            format = SourceFormat.JpegDirectory;
            split = JpegDirectoryReader.Read(images, options.MaxFileBytes);
        }
        else
        {
            if (fingerprint.Length > options.MaxFileBytes)
            {
                whyNot = $"{fingerprint.Length} bytes is over the Origin:MaxFileBytes limit of {options.MaxFileBytes}";
                return null;
            }

            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                whyNot = "cannot be read: " + ex.Message;
                return null;
            }

            if (FormatDetector.Detect(bytes) is not { } detected)
            {
                whyNot = "not a supported format (neither 5-digit length-prefixed JPEG frames nor concatenated JPEG images)";
                return null;
            }

            format = detected;
            split = format == SourceFormat.LengthPrefixed ? LengthPrefixedReader.Split(bytes) : ConcatenatedJpegReader.Split(bytes);
        }

        return Build(name, format, split, fingerprint, out whyNot);
    }

    /// <summary>Converts what a reader found and makes the stream, or says why there is none.</summary>
    public MediaStream? Build(string name, SourceFormat format, FrameSplit split, SourceFingerprint fingerprint, out string? whyNot)
    {
        var served = new List<ServedFrame>(split.Frames.Count);
        var skipped = split.Skipped;
        var firstProblem = split.FirstProblem;
        foreach (var (index, frame) in split.Frames.Index())
        {
            // Checked before anything is decoded: the header's size is all a bomb needs to state.
            var pixels = (long)frame.Info.Width * frame.Info.Height;
            if (pixels > options.MaxFramePixels)
            {
                skipped++;
                firstProblem ??= $"frame {index}: {frame.Info.Width}x{frame.Info.Height} is over the Origin:MaxFramePixels limit of {options.MaxFramePixels} pixels";
                continue;
            }

            try
            {
                served.Add(_converter.Convert(frame));
            }
            catch (JpegConversionException ex)
            {
                skipped++;
                firstProblem ??= $"frame {index}: {ex.Message}";
            }
            catch (OutOfMemoryException)
            {
                // Within the pixel limit, but more than this machine has: this stream's problem, not the host's.
                skipped++;
                firstProblem ??= $"frame {index}: out of memory converting a {frame.Info.Width}x{frame.Info.Height} frame";
            }
        }

        if (skipped > 0)
        {
            OriginLog.FramesSkipped(logger, name, skipped, firstProblem ?? "unknown");
        }

        if (served.Count == 0)
        {
            whyNot = "no valid frame" + (firstProblem is null ? string.Empty : $" (first problem: {firstProblem})");
            return null;
        }

        whyNot = null;
        var stream = new MediaStream(name, format, options.FrameRateFor(name), served, skipped, fingerprint, split.Frames[0].Info);
        if (stream.ConvertedFrames > 0)
        {
            OriginLog.FramesConverted(logger, name, stream.ConvertedFrames, stream.FirstConversionReason!.Value.ToString(), stream.AllConversionsLossless);
        }

        return stream;
    }
}
