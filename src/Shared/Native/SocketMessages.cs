using System.Runtime.InteropServices;

namespace GrpcStream.Shared.Native;

/// <summary>struct iovec: one piece of memory a system call reads or writes. Compiled into the edge (gathered and
/// segmented sends) and the protocol library (batched receive), which share no native code otherwise.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public byte* Base;
    public nuint Length;
}

/// <summary>struct msghdr of glibc on LP64 (musl's int-plus-padding iov length and control length read the same on
/// little-endian processors).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MessageHeader
{
    public byte* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public byte* Control;
    public nuint ControlLength;
    public int Flags;
}
