using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GrpcStream.Shared.Native;

namespace GrpcStream.Edge.Native;

/// <summary>
/// A gathered write to a TCP socket that allocates nothing: what the kernel takes at once, from the buffers where
/// they lie. .NET's <see cref="Socket.SendAsync(SocketAsyncEventArgs)"/> with a buffer list pins through a new
/// handle array on every call (about 430 bytes for a frame of 16 pieces), which at 30 frames a second per TCP reader
/// is most of the edge's garbage; this is tried first, and .NET finishes only what the kernel could not take yet.
/// </summary>
internal static unsafe class GatheredSend
{
    /// <summary>Linux's UIO_MAXIOV: the most pieces one <c>sendmsg</c> takes.</summary>
    public const int MaxPieces = 1024;

    // A frame's pieces come from two arrays (the headers and the shared payload); a few more are allowed.
    private const int MaxArrays = 4;

    private static volatile bool s_available = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>False where this cannot be tried (not 64-bit Linux, or libc refused): callers send through .NET.</summary>
    public static bool IsAvailable => s_available;

    /// <summary>
    /// Sends what the kernel takes now of <paramref name="pieces"/>, without waiting: the bytes sent (0 when the
    /// socket's buffer is full), or -1 when this cannot be tried here or the socket failed (let .NET send it,
    /// and report the failure).
    /// </summary>
    public static int TrySend(Socket socket, List<ArraySegment<byte>> pieces)
    {
        if (!s_available || pieces.Count == 0)
        {
            return -1;
        }

        var count = Math.Min(pieces.Count, MaxPieces);
        var iov = stackalloc IoVec[count];
        var handles = stackalloc GCHandle[MaxArrays];
        var bases = stackalloc nint[MaxArrays];
        var arrays = default(Arrays);
        var pinned = 0;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var piece = pieces[i];
                var slot = 0;
                while (slot < pinned && !ReferenceEquals(arrays[slot], piece.Array))
                {
                    slot++;
                }

                if (slot == pinned)
                {
                    if (pinned == MaxArrays)
                    {
                        count = i; // the rest goes in the next call
                        break;
                    }

                    arrays[slot] = piece.Array;
                    handles[slot] = GCHandle.Alloc(piece.Array, GCHandleType.Pinned);
                    bases[slot] = handles[slot].AddrOfPinnedObject();
                    pinned++;
                }

                iov[i] = new IoVec { Base = (byte*)bases[slot] + piece.Offset, Length = (nuint)piece.Count };
            }

            var message = new MessageHeader { Iov = iov, IovLength = (nuint)count };
            nint sent;
            int error;
            try
            {
                sent = Libc.SendMessage(socket, &message, Libc.DontWait | Libc.NoSignal, out error);
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                s_available = false;
                return -1;
            }

            return sent >= 0 ? (int)sent : error == Libc.EAgain ? 0 : -1;
        }
        finally
        {
            for (var i = 0; i < pinned; i++)
            {
                handles[i].Free();
            }
        }
    }

    /// <summary>Drops the first <paramref name="bytes"/> bytes from <paramref name="pieces"/>.</summary>
    public static void Advance(List<ArraySegment<byte>> pieces, int bytes)
    {
        var whole = 0;
        while (whole < pieces.Count && bytes >= pieces[whole].Count)
        {
            bytes -= pieces[whole].Count;
            whole++;
        }

        pieces.RemoveRange(0, whole);
        if (bytes > 0)
        {
            pieces[0] = pieces[0][bytes..];
        }
    }

    [InlineArray(MaxArrays)]
    private struct Arrays
    {
        private byte[]? _first;
    }
}
