namespace GrpcStream.Shared;

/// <summary>
/// What a stream name may be. A file stream is one file or directory name directly inside the media root, so its
/// name has no '/'; anything that could step outside the root (separators, "..", rooted paths) is refused before
/// the file system is touched. A published stream's name is path-like (<c>live/cam1</c>): segments of
/// <c>[A-Za-z0-9._-]</c> separated by '/', none of them "." or "..". A '/' therefore says which kind a name is.
/// The rules are the origin's; the edge applies the same ones (compiled into both) to turn a name that cannot be
/// a stream away before asking the origin.
/// </summary>
internal static class StreamName
{
    public const int MaxLength = 255;

    /// <summary>Whether <paramref name="name"/> is path-like, the form of published streams (file names have no '/').</summary>
    public static bool IsPathLike(string name) => name.Contains('/', StringComparison.Ordinal);

    /// <summary>Null when <paramref name="name"/> is a possible stream name of either kind; otherwise why not.</summary>
    public static string? Check(string? name) =>
        name is not null && IsPathLike(name) ? CheckPathLike(name) : CheckFileName(name);

    /// <summary>Null when <paramref name="name"/> may name a file stream; otherwise why not.</summary>
    public static string? CheckFileName(string? name)
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

    /// <summary>Null when <paramref name="name"/> is a well-formed path-like name; otherwise why not.</summary>
    public static string? CheckPathLike(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "the name is empty";
        }

        if (name.Length > MaxLength)
        {
            return $"the name is longer than {MaxLength} characters";
        }

        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0)
            {
                return "a path-like name cannot have an empty segment (a leading, trailing or double '/')";
            }

            if (segment is "." or "..")
            {
                return "a path-like name cannot have a '.' or '..' segment";
            }

            foreach (var c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                {
                    return "a path-like name has segments of A-Z, a-z, 0-9, '.', '_' and '-' only";
                }
            }
        }

        return null;
    }

    /// <summary>Null when <paramref name="name"/> may be published under <paramref name="prefix"/>; otherwise why not.</summary>
    public static string? CheckPublished(string? name, string prefix)
    {
        if (CheckPathLike(name) is { } problem)
        {
            return problem;
        }

        return name!.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length
            ? null
            : $"published streams are named under '{prefix}' (Origin:Publish:Prefix), such as '{prefix}cam1'";
    }
}
