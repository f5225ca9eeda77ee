namespace GrpcStream.Origin.Catalogue;

/// <summary>
/// What a stream name may be: one file or directory name directly inside the media root. Anything that
/// could step outside it (separators, "..", rooted paths) is refused before the file system is touched.
/// </summary>
internal static class StreamName
{
    public const int MaxLength = 255;

    /// <summary>Null when <paramref name="name"/> is acceptable; otherwise why not.</summary>
    public static string? Check(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "the name is empty";
        }

        if (name.Length > MaxLength)
        {
            return $"the name is longer than {MaxLength} characters";
        }

        if (name is "." or "..")
        {
            return "'.' and '..' are not stream names";
        }

        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
        {
            return "a stream name cannot contain a path separator";
        }

        if (name.StartsWith('.'))
        {
            return "hidden files are not streams";
        }

        foreach (var c in name)
        {
            if (char.IsControl(c))
            {
                return "a stream name cannot contain control characters";
            }
        }

        return Path.IsPathRooted(name) ? "a stream name cannot be an absolute path" : null;
    }
}
