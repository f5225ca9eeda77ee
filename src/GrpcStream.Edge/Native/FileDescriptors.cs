using System.Runtime.InteropServices;

namespace GrpcStream.Edge.Native;

/// <summary>
/// The process's open-file limit, and how many RTSP connections fit under it. Every connection is a descriptor,
/// and so is much of the runtime itself (two per loaded assembly, a couple of hundred at rest); a process that runs
/// out fails in places it cannot recover from (the runtime cannot load an assembly and gives up), so connections
/// are capped below the limit rather than accepted until it is hit.
/// </summary>
internal static unsafe partial class FileDescriptors
{
    /// <summary>Descriptors kept free for what the process opens later: assemblies, gRPC connections, logs.</summary>
    public const int Reserve = 256;

    private const int ResourceOpenFiles = 7; // RLIMIT_NOFILE on Linux

    /// <summary>
    /// The most connections that leave <see cref="Reserve"/> descriptors free, given those open now; null when the
    /// limit cannot be read (not Linux).
    /// </summary>
    public static int? ConnectionHeadroom()
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess)
        {
            return null;
        }

        Limit limit;
        try
        {
            if (GetLimit(ResourceOpenFiles, &limit) != 0)
            {
                return null;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }

        var open = Directory.GetFileSystemEntries("/proc/self/fd").Length;
        var soft = (long)Math.Min(limit.Current, int.MaxValue);
        return (int)Math.Max(1, soft - open - Reserve);
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetLimit(int resource, Limit* limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct Limit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
