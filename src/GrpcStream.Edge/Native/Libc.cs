using System.Net.Sockets;
using System.Runtime.InteropServices;
using GrpcStream.Shared.Native;

namespace GrpcStream.Edge.Native;

/// <summary>
/// The C library's <c>sendmsg</c>, for the sends .NET cannot make without allocating or cannot make at all: a
/// gathered TCP write (.NET pins a buffer list through a new handle array per call) and UDP segmentation.
/// </summary>
internal static unsafe partial class Libc
{
    public const int EInterrupted = 4;
    public const int EAgain = 11;

    /// <summary>Do not wait when the socket buffer is full.</summary>
    public const int DontWait = 0x40;

    /// <summary>No SIGPIPE when the peer has gone.</summary>
    public const int NoSignal = 0x4000;

    /// <summary>
    /// <c>sendmsg</c> on <paramref name="socket"/>'s descriptor, again when interrupted. Returns the bytes sent, or
    /// -1 with the error in <paramref name="error"/>.
    /// </summary>
    /// <exception cref="DllNotFoundException">No C library by that name.</exception>
    /// <exception cref="EntryPointNotFoundException">A C library without <c>sendmsg</c>.</exception>
    public static nint SendMessage(Socket socket, MessageHeader* message, int flags, out int error)
    {
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            // The socket may be disposed on another thread; holding a reference keeps the descriptor from being
            // reused under us.
            handle.DangerousAddRef(ref added);
            nint sent;
            do
            {
                sent = SendMessage((int)handle.DangerousGetHandle(), message, flags);
                error = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
            while (sent < 0 && error == EInterrupted);
            return sent;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMessage(int socket, MessageHeader* message, int flags);
}
