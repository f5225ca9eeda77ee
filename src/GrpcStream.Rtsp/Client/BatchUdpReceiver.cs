using System.Net.Sockets;
using System.Runtime.InteropServices;
using GrpcStream.Shared.Native;

namespace GrpcStream.Rtsp.Client;

/// <summary>A datagram and where it came from.</summary>
internal delegate void DatagramHandler(ReadOnlySpan<byte> datagram, DatagramSource? from);

/// <summary>
/// Receives a UDP socket's datagrams many to a system call (Linux <c>recvmmsg</c>): it awaits readiness the .NET
/// way (a zero-byte peek, so no thread waits per socket), then drains what has arrived in batches without waiting.
/// With UDP generic receive offload (<c>UDP_GRO</c>), a run of datagrams a sender gave the kernel in one segmented
/// send arrives as one buffer with its segment size, and is cut back into datagrams here. A load generator with a
/// thousand sessions would otherwise pay a system call, a trip through the stack and a wake-up per packet.
/// </summary>
internal sealed partial class BatchUdpReceiver
{
    /// <summary>The largest datagram (or coalesced run) a slot holds: all UDP can carry.</summary>
    public const int SlotBytes = 65536;

    private const int SolUdp = 17;
    private const int UdpGro = 104;

    private readonly Socket _socket;
    private readonly bool _coalesced;

    /// <param name="socket">The bound UDP socket.</param>
    /// <param name="gro">Whether to ask the kernel to coalesce runs of datagrams (<c>UDP_GRO</c>).</param>
    public BatchUdpReceiver(Socket socket, bool gro = true)
    {
        _socket = socket;
        if (!gro)
        {
            return;
        }

        try
        {
            socket.SetRawSocketOption(SolUdp, UdpGro, BitConverter.GetBytes(1));
            _coalesced = true;
        }
        catch (SocketException)
        {
            // An older kernel: datagrams come one by one, still many to a call.
        }
    }

    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>Whether the kernel coalesces runs of datagrams for this socket.</summary>
    public bool Coalesced => _coalesced;

    /// <summary>
    /// Hands every datagram to <paramref name="handle"/> until the socket closes (true), or until the kernel cut one
    /// (false, which a slot of all UDP can carry should never see: the caller then receives the rest one by one).
    /// </summary>
    public async Task<bool> RunAsync(DatagramHandler handle, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Completes when a datagram is waiting, and takes nothing from the queue.
            await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, cancellationToken).ConfigureAwait(false);

            // Drained synchronously, so one set of buffers per thread serves every socket that thread drains.
            var batch = ReceiveBatch.ForThisThread;
            int received;
            do
            {
                received = batch.Receive(_socket);
                if (received < 0)
                {
                    return true; // closed under us
                }

                for (var i = 0; i < received; i++)
                {
                    if (!batch.Deliver(i, handle))
                    {
                        return false;
                    }
                }
            }
            while (received == ReceiveBatch.Size);
        }
    }

    /// <summary>Pinned buffers and headers for one <c>recvmmsg</c>.</summary>
    private sealed unsafe class ReceiveBatch
    {
        public const int Size = 32;
        private const int AddressBytes = 128; // struct sockaddr_storage
        private const int ControlBytes = 64; // room for one UDP_GRO message (an int) and more
        private const int DontWait = 0x40;
        private const int Truncated = 0x20;
        private const int EAgain = 11;
        private const int EInterrupted = 4;

        [ThreadStatic]
        private static ReceiveBatch? _current;

        private readonly byte[] _slots = GC.AllocateArray<byte>(Size * SlotBytes, pinned: true);
        private readonly byte[] _addresses = GC.AllocateArray<byte>(Size * AddressBytes, pinned: true);
        private readonly byte[] _controls = GC.AllocateArray<byte>(Size * ControlBytes, pinned: true);
        private readonly IoVec[] _vectors = GC.AllocateArray<IoVec>(Size, pinned: true);
        private readonly MultiMessageHeader[] _messages = GC.AllocateArray<MultiMessageHeader>(Size, pinned: true);

        private ReceiveBatch()
        {
            fixed (byte* slots = _slots)
            fixed (byte* addresses = _addresses)
            fixed (byte* controls = _controls)
            fixed (IoVec* vectors = _vectors)
            {
                // Pinned for the batch's life: the addresses stay valid after the fixed blocks end.
                for (var i = 0; i < Size; i++)
                {
                    vectors[i] = new IoVec { Base = slots + (i * SlotBytes), Length = SlotBytes };
                    _messages[i].Header.Iov = vectors + i;
                    _messages[i].Header.IovLength = 1;
                    _messages[i].Header.Name = addresses + (i * AddressBytes);
                    _messages[i].Header.Control = controls + (i * ControlBytes);
                }
            }
        }

        public static ReceiveBatch ForThisThread => _current ??= new ReceiveBatch();

        /// <summary>The datagrams waiting now, at most <see cref="Size"/>, without waiting; 0 when none, -1 when the socket is gone.</summary>
        public int Receive(Socket socket)
        {
            var handle = socket.SafeHandle;
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                for (var i = 0; i < Size; i++)
                {
                    _messages[i].Header.NameLength = AddressBytes;
                    _messages[i].Header.ControlLength = ControlBytes;
                    _messages[i].Header.Flags = 0;
                }

                fixed (MultiMessageHeader* messages = _messages)
                {
                    while (true)
                    {
                        var count = ReceiveMessages((int)handle.DangerousGetHandle(), messages, Size, DontWait, null);
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

        /// <summary>Hands message <paramref name="index"/>'s datagrams over (several when coalesced); false when it was cut.</summary>
        public bool Deliver(int index, DatagramHandler handle)
        {
            ref var message = ref _messages[index];
            if ((message.Header.Flags & Truncated) != 0)
            {
                return false;
            }

            var source = DatagramSource.Read(_addresses.AsSpan(index * AddressBytes, AddressBytes));
            var data = _slots.AsSpan(index * SlotBytes, (int)message.Length);
            var segment = SegmentSize(index, (int)message.Header.ControlLength);
            if (segment <= 0)
            {
                handle(data, source);
                return true;
            }

            for (var offset = 0; offset < data.Length; offset += segment)
            {
                handle(data.Slice(offset, Math.Min(segment, data.Length - offset)), source);
            }

            return true;
        }

        // The UDP_GRO control message's segment size; 0 when the datagram was not coalesced. A control message is
        // a cmsghdr (length as size_t, level and type as ints) followed by its data, each aligned to size_t.
        private int SegmentSize(int index, int controlLength)
        {
            var control = _controls.AsSpan(index * ControlBytes, Math.Min(controlLength, ControlBytes));
            var header = sizeof(nuint) + (2 * sizeof(int));
            while (control.Length >= header)
            {
                var length = (int)MemoryMarshal.Read<nuint>(control);
                if (length < header || length > control.Length)
                {
                    return 0;
                }

                if (MemoryMarshal.Read<int>(control[sizeof(nuint)..]) == SolUdp && MemoryMarshal.Read<int>(control[(sizeof(nuint) + sizeof(int))..]) == UdpGro && length >= header + sizeof(int))
                {
                    return MemoryMarshal.Read<int>(control[header..]);
                }

                var next = (length + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);
                control = next >= control.Length ? [] : control[next..];
            }

            return 0;
        }
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    private static unsafe partial int ReceiveMessages(int socket, MultiMessageHeader* messages, uint length, int flags, void* timeout);

    // struct mmsghdr: the header and the length received into it.
    [StructLayout(LayoutKind.Sequential)]
    private struct MultiMessageHeader
    {
        public MessageHeader Header;
        public uint Length;
    }
}
