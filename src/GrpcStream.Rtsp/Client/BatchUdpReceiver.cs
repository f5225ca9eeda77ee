using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace GrpcStream.Rtsp.Client;

/// <summary>A datagram and the UDP port it came from.</summary>
internal delegate void DatagramHandler(ReadOnlySpan<byte> datagram, int? fromPort);

/// <summary>
/// Receives a UDP socket's datagrams many to a system call (Linux <c>recvmmsg</c>): it awaits readiness the .NET
/// way (a zero-byte peek, so no thread waits per socket), then drains what has arrived in batches without waiting.
/// A load generator with a thousand sessions would otherwise pay a system call and a wake-up per packet. Datagrams
/// are read into fixed slots of <see cref="SlotBytes"/>: one larger than that is cut, so the receiver reports it
/// and the caller goes on with a plain receive (<see cref="RunAsync"/> returns false).
/// </summary>
internal sealed partial class BatchUdpReceiver
{
    // What a batch holds: a frame of 640x480 MJPEG is about 20 packets, a burst at the sender.
    private const int Batch = 32;

    /// <summary>The largest datagram a slot holds: an Ethernet frame's payload, with room to spare.</summary>
    public const int SlotBytes = 2048;

    private const int AddressBytes = 128; // struct sockaddr_storage
    private const int DontWait = 0x40;
    private const int Truncated = 0x20;
    private const int EAgain = 11;
    private const int EInterrupted = 4;

    private readonly Socket _socket;
    private readonly byte[] _slots = GC.AllocateArray<byte>(Batch * SlotBytes, pinned: true);
    private readonly byte[] _addresses = GC.AllocateArray<byte>(Batch * AddressBytes, pinned: true);
    private readonly IoVec[] _vectors = GC.AllocateArray<IoVec>(Batch, pinned: true);
    private readonly MultiMessageHeader[] _messages = GC.AllocateArray<MultiMessageHeader>(Batch, pinned: true);

    public unsafe BatchUdpReceiver(Socket socket)
    {
        _socket = socket;
        fixed (byte* slots = _slots)
        fixed (byte* addresses = _addresses)
        fixed (IoVec* vectors = _vectors)
        {
            // Pinned for the receiver's life: the addresses stay valid after the fixed blocks end.
            for (var i = 0; i < Batch; i++)
            {
                vectors[i] = new IoVec { Base = slots + (i * SlotBytes), Length = SlotBytes };
                _messages[i].Header.Iov = vectors + i;
                _messages[i].Header.IovLength = 1;
                _messages[i].Header.Name = addresses + (i * AddressBytes);
            }
        }
    }

    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>
    /// Hands every datagram to <paramref name="handle"/> until the socket closes (true), or until one did not fit a
    /// slot (false: it was lost, and the caller should receive the rest one by one).
    /// </summary>
    public async Task<bool> RunAsync(DatagramHandler handle, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Completes when a datagram is waiting, and takes nothing from the queue.
            await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, cancellationToken).ConfigureAwait(false);
            int received;
            do
            {
                received = Receive();
                if (received < 0)
                {
                    return true; // closed under us
                }

                for (var i = 0; i < received; i++)
                {
                    ref var message = ref _messages[i];
                    if ((message.Header.Flags & Truncated) != 0)
                    {
                        return false;
                    }

                    var address = _addresses.AsSpan(i * AddressBytes, AddressBytes);
                    handle(_slots.AsSpan(i * SlotBytes, (int)message.Length), (address[2] << 8) | address[3]);
                }
            }
            while (received == Batch);
        }
    }

    // The datagrams waiting now, at most a batch, without waiting; 0 when none, -1 when the socket is gone.
    private unsafe int Receive()
    {
        var handle = _socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            for (var i = 0; i < Batch; i++)
            {
                _messages[i].Header.NameLength = AddressBytes;
                _messages[i].Header.Flags = 0;
            }

            fixed (MultiMessageHeader* messages = _messages)
            {
                while (true)
                {
                    var count = ReceiveMessages((int)handle.DangerousGetHandle(), messages, Batch, DontWait, null);
                    if (count >= 0)
                    {
                        return count;
                    }

                    var error = Marshal.GetLastPInvokeError();
                    if (error != EInterrupted)
                    {
                        return error == EAgain ? 0 : -1;
                    }
                }
            }
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    private static unsafe partial int ReceiveMessages(int socket, MultiMessageHeader* messages, uint length, int flags, void* timeout);

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    // struct msghdr of glibc on LP64.
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct MessageHeader
    {
        public byte* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public byte* Control;
        public nuint ControlLength;
        public int Flags;
    }

    // struct mmsghdr: the header and the length received into it.
    [StructLayout(LayoutKind.Sequential)]
    private struct MultiMessageHeader
    {
        public MessageHeader Header;
        public uint Length;
    }
}
