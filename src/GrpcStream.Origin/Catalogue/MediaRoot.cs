using GrpcStream.Origin.Native;

namespace GrpcStream.Origin.Catalogue;

/// <summary>
/// The media root as a boundary: which paths under it may be read as sources.
/// Only regular files and directories are sources (a FIFO would block the scan on open, a device has no size); a
/// symbolic link is followed only to a target inside the root, unless <c>Origin:FollowSymlinks</c> says otherwise.
/// </summary>
internal sealed class MediaRoot
{
    private readonly string _realRoot;
    private readonly bool _followSymlinks;

    public MediaRoot(string path, bool followSymlinks)
    {
        Path = path;
        _followSymlinks = followSymlinks;

        // Compared by real path: the root itself may be reached through a link (a mounted volume, /media -> /srv).
        var real = FileStatus.RealPath(path) ?? System.IO.Path.GetFullPath(path);
        _realRoot = real.EndsWith('/') ? real : real + "/";
    }

    public string Path { get; }

    /// <summary>
    /// What <paramref name="path"/> is as a source: <see cref="FileKind.Regular"/> or <see cref="FileKind.Directory"/>;
    /// <see cref="FileKind.Missing"/> when it has gone; anything else with the reason it is not read.
    /// </summary>
    public FileKind Admit(string path, out string? whyNot)
    {
        whyNot = null;
        FileKind kind;
        try
        {
            kind = FileStatus.Of(path, followLinks: false);
            if (kind == FileKind.SymbolicLink)
            {
                var target = FileStatus.RealPath(path);
                if (target is null)
                {
                    whyNot = "a symbolic link to nothing";
                    return FileKind.SymbolicLink;
                }

                if (!_followSymlinks && !target.StartsWith(_realRoot, StringComparison.Ordinal))
                {
                    whyNot = $"a symbolic link to {target}, outside the media root (set Origin:FollowSymlinks=true to follow such links)";
                    return FileKind.SymbolicLink;
                }

                kind = FileStatus.Of(path, followLinks: true);
            }
        }
        catch (IOException ex)
        {
            whyNot = ex.Message;
            return FileKind.Missing;
        }

        whyNot = kind switch
        {
            FileKind.Regular or FileKind.Directory or FileKind.Missing => null,
            FileKind.Fifo => "a FIFO, not a regular file: not opened",
            FileKind.CharacterDevice or FileKind.BlockDevice => "a device, not a regular file: not opened",
            _ => "a socket, not a regular file: not opened",
        };
        return kind;
    }
}
