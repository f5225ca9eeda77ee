using System.Runtime.InteropServices;

namespace GrpcStream.Origin.Native;

/// <summary>What kind of file system object a path names.</summary>
internal enum FileKind
{
    Regular,
    Directory,
    SymbolicLink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Missing,
}

/// <summary>
/// The type of a path without opening it. .NET tells files from directories but not a FIFO, a device or a socket
/// from a regular file, and opening a FIFO to find out blocks until a writer comes; <c>statx</c> reads the type
/// from the inode, and its buffer has one layout on every architecture (unlike <c>struct stat</c>).
/// </summary>
internal static unsafe partial class FileStatus
{
    private const int CurrentDirectory = -100; // AT_FDCWD
    private const int NoFollow = 0x100; // AT_SYMLINK_NOFOLLOW
    private const uint WantType = 0x1; // STATX_TYPE
    private const int NoEntry = 2; // ENOENT
    private const int NotDirectory = 20; // ENOTDIR
    private const int ModeOffset = 28; // stx_mode in struct statx
    private const int BufferBytes = 256; // sizeof(struct statx)

    /// <summary>
    /// The kind of <paramref name="path"/> itself when <paramref name="followLinks"/> is false (a symbolic link is
    /// <see cref="FileKind.SymbolicLink"/>), or of what it finally names when true.
    /// </summary>
    /// <exception cref="IOException">The path exists but cannot be examined (permissions, I/O).</exception>
    public static FileKind Of(string path, bool followLinks)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Managed(path, followLinks);
        }

        var buffer = stackalloc byte[BufferBytes];
        int result;
        try
        {
            result = Statx(CurrentDirectory, path, followLinks ? 0 : NoFollow, WantType, buffer);
        }
        catch (EntryPointNotFoundException)
        {
            return Managed(path, followLinks);
        }

        if (result != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            return error is NoEntry or NotDirectory
                ? FileKind.Missing
                : throw new IOException($"cannot examine {path}: {Marshal.GetPInvokeErrorMessage(error)}");
        }

        var mode = *(ushort*)(buffer + ModeOffset);
        return (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            0x1000 => FileKind.Fifo,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            _ => FileKind.Socket,
        };
    }

    /// <summary>
    /// The absolute path with every symbolic link and <c>..</c> resolved as the kernel would; null when it does
    /// not exist (a dangling link).
    /// </summary>
    public static string? RealPath(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Path.Exists(path) ? Path.GetFullPath(path) : null;
        }

        var resolved = RealPath(path, null);
        if (resolved is null)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8((nint)resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    // Where statx is missing the type still matters: trust .NET for files and directories only.
    private static FileKind Managed(string path, bool followLinks)
    {
        var info = new FileInfo(path);
        if (!info.Exists && !Directory.Exists(path))
        {
            return info.LinkTarget is null ? FileKind.Missing : FileKind.SymbolicLink;
        }

        if (!followLinks && info.LinkTarget is not null)
        {
            return FileKind.SymbolicLink;
        }

        return Directory.Exists(path) ? FileKind.Directory : FileKind.Regular;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial byte* RealPath(string path, byte* resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(byte* pointer);
}
