namespace GrpcStream.Origin.Formats;

/// <summary>Reads a directory of .jpg/.jpeg files as one stream, in ordinal name order.</summary>
internal static class JpegDirectoryReader
{
    public static bool IsJpegFileName(string path) =>
        path.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase);

    /// <summary>The image files of <paramref name="directory"/> in play order (hidden files left out).</summary>
    public static string[] ListImages(string directory)
    {
        var files = Directory.GetFiles(directory)
            .Where(f => IsJpegFileName(f) && !Path.GetFileName(f).StartsWith('.'))
            .ToArray();
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    public static FrameSplit Read(IReadOnlyList<string> files, long maxFileBytes)
    {
        var split = new FrameSplit();
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            try
            {
                var info = new FileInfo(file);
                if (info.Length > maxFileBytes)
                {
                    split.Skip($"{name}: {info.Length} bytes is over the {maxFileBytes}-byte limit");
                    continue;
                }

                split.TryAdd(File.ReadAllBytes(file), name);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                split.Skip($"{name}: {ex.Message}");
            }
        }

        return split;
    }
}
