using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using GrpcStream.Shared.Native;

namespace GrpcStream.Edge.Native;

/// <summary>What became of a segmented send.</summary>
internal enum SegmentedSendResult
{
    /// <summary>The kernel took every datagram.</summary>
    Sent,

    /// <summary>The send buffer was full or the destination refused: the datagrams are lost, as a plain send's would be.</summary>
    Dropped,

    /// <summary>This send cannot be segmented (route MTU, size); send these datagrams one by one.</summary>
    Unsuitable,

    /// <summary>The system has no UDP segmentation; stop trying.</summary>
    Unsupported,
}

/// <summary>
/// Linux UDP generic segmentation offload (<c>UDP_SEGMENT</c>, kernel 4.18+): a run of datagrams of one size
/// (the last may be shorter) to one destination goes to the kernel in a single <c>sendmsg</c>, which cuts it into
/// datagrams late in the stack, or lets the network card do it. One system call and one trip through the UDP and
/// IP layers per run instead of per packet is what lets one core feed hundreds of players; the datagrams on the
/// wire are the same as sending them one by one. The packets are gathered with one iovec each, straight from
/// where they lie, so nothing is copied.
/// </summary>
internal static unsafe partial class UdpSegmentation
{
    /// <summary>Largest datagram count in one send: the kernel's UDP_MAX_SEGMENTS was 64 before 6.9.</summary>
    public const int MaxSegments = 64;

    /// <summary>Largest UDP payload of one send before segmentation (an IP datagram's length field).</summary>
    public const int MaxBytes = 65_000;

    private const int SolUdp = 17;
    private const int UdpSegment = 103;
    private const int ControlSpace = 24; // CMSG_SPACE(sizeof(ushort)) on 64-bit Linux
    private const int ControlLength = 18; // CMSG_LEN(sizeof(ushort))

    private const int ENoBufs = 105;
    private const int EConnRefused = 111;
    private const int EHostUnreach = 113;
    private const int ENetUnreach = 101;
    private const int ENoProtoOpt = 92;
    private const int EOpNotSupp = 95;

    /// <summary>
    /// Whether this process can try it: Linux on a 64-bit processor (the structures below are the LP64 layout).
    /// Whether the kernel agrees shows on the first send.
    /// </summary>
    public static bool IsAvailable { get; } =
        OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>
    /// Sends the datagrams <paramref name="ranges"/> of <paramref name="buffer"/> to <paramref name="destination"/>
    /// in one call: datagram <c>i</c> is <c>buffer[ranges[i]]</c>; all but the last must be
    /// <paramref name="segmentSize"/> bytes, the last at most that, and the total within <see cref="MaxBytes"/>.
    /// </summary>
    public static SegmentedSendResult Send(Socket socket, ReadOnlySpan<byte> buffer, ReadOnlySpan<Range> ranges, int segmentSize, SocketAddress destination)
    {
        if (ranges.Length is < 1 or > MaxSegments)
        {
            throw new ArgumentOutOfRangeException(nameof(ranges), ranges.Length, "One segmented send carries 1 to 64 datagrams.");
        }

        var iov = stackalloc IoVec[ranges.Length];
        var control = stackalloc byte[ControlSpace];
        new Span<byte>(control, ControlSpace).Clear();
        var header = (ControlHeader*)control;
        header->Length = ControlLength;
        header->Level = SolUdp;
        header->Type = UdpSegment;
        *(ushort*)(control + sizeof(ControlHeader)) = checked((ushort)segmentSize);

        var name = destination.Buffer.Span;
        fixed (byte* data = buffer)
        fixed (byte* address = name)
        {
            for (var i = 0; i < ranges.Length; i++)
            {
                var (offset, length) = ranges[i].GetOffsetAndLength(buffer.Length);
                iov[i] = new IoVec { Base = data + offset, Length = (nuint)length };
            }

            var message = new MessageHeader
            {
                Name = address,
                NameLength = (uint)destination.Size,
                Iov = iov,
                IovLength = (nuint)ranges.Length,
                Control = control,
                ControlLength = ControlSpace,
            };

            nint sent;
            int error;
            try
            {
                sent = Libc.SendMessage(socket, &message, 0, out error);
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                return SegmentedSendResult.Unsupported; // a C library without sendmsg under that name
            }

            if (sent >= 0)
            {
                return SegmentedSendResult.Sent;
            }

            return error switch
            {
                Libc.EAgain or ENoBufs or EConnRefused or EHostUnreach or ENetUnreach => SegmentedSendResult.Dropped,
                ENoProtoOpt or EOpNotSupp => SegmentedSendResult.Unsupported,
                _ => SegmentedSendResult.Unsuitable, // EIO (no checksum offload), EINVAL, EMSGSIZE (route MTU)
            };
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ControlHeader
    {
        public nuint Length;
        public int Level;
        public int Type;
    }
}
