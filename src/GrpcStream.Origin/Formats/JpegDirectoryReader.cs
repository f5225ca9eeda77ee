using GrpcStream.Origin.Catalogue;
using GrpcStream.Origin.Native;

namespace GrpcStream.Origin.Formats;

/// <summary>Reads a directory of .jpg/.jpeg files as one stream, in ordinal name order.</summary>
internal static class JpegDirectoryReader
{
    public static bool IsJpegFileName(string path) =>
        path.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase);

    /// <summary>The image files of <paramref name="directory"/> in play order (hidden files left out).</summary>
    /// <exception cref="IOException">The directory cannot be listed (it may have just been removed).</exception>
    public static string[] ListImages(string directory)
    {
        var files = Directory.GetFiles(directory)
            .Where(f => IsJpegFileName(f) && !Path.GetFileName(f).StartsWith('.'))
            .ToArray();
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    /// <summary>
    /// Reads the images; a file that is not a regular file of the media root, over <paramref name="maxFileBytes"/>,
    /// or unreadable is skipped. Stops at <paramref name="maxStreamBytes"/> in all (the rest is skipped too).
    /// </summary>
    public static FrameSplit Read(IReadOnlyList<string> files, MediaRoot root, long maxFileBytes, long maxStreamBytes, int maxFrameBytes)
    {
        var split = new FrameSplit(maxFrameBytes);
        long total = 0;
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            var kind = root.Admit(file, out var whyNot);
            if (kind != FileKind.Regular)
            {
                split.Skip(FrameSkipReason.Unreadable, $"{name}: {whyNot ?? "not a regular file"}");
                continue;
            }

            try
            {
                // The directory's total was checked before reading; this catches files that grew since.
                var room = maxStreamBytes - total;
                var bytes = maxFileBytes <= room
                    ? MediaRoot.ReadFile(file, maxFileBytes, "Origin:MaxFileBytes")
                    : MediaRoot.ReadFile(file, room, "Origin:MaxStreamBytes (what is left of it)");
                total += bytes.Length;
                split.TryAdd(bytes, FrameLocation.InFile(name));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                split.Skip(FrameSkipReason.Unreadable, $"{name}: {ex.Message}");
            }
        }

        return split;
    }
}
