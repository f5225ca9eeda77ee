namespace GrpcStream.Rtsp.Media;

/// <summary>Reads a directory of .jpg/.jpeg files as one stream, in ordinal name order.</summary>
public static class JpegDirectoryReader
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
}
