using System.Net.Sockets;
using GrpcStream.Edge.Native;
using GrpcStream.Shared.Native;

namespace GrpcStream.SyntheticSender;

/// <summary>
/// A TCP connection's writes, none of which waits: what the socket takes now goes, the rest waits here in order and
/// goes out with the next write or <see cref="Flush"/>. A frame finds anything still waiting and is skipped whole,
/// so a reader that falls behind loses frames (a jump in timestamps, never a gap in sequence numbers) and never
/// holds up the other sessions.
/// </summary>
internal sealed unsafe class TcpOutput(Socket socket)
{
    private readonly Lock _gate = new();
    private byte[] _waiting = new byte[4096];
    private int _waitingStart;
    private int _waitingEnd;

    /// <summary>The connection failed (reset, closed): nothing more is written.</summary>
    public bool Failed { get; private set; }

    /// <summary>Writes a frame unless an earlier write is still waiting; false when skipped or failed.</summary>
    public bool TryWriteFrame(ReadOnlySpan<byte> frame) => Write(frame, skippable: true);

    /// <summary>Writes a response after whatever is waiting.</summary>
    public void WriteResponse(ReadOnlySpan<byte> response) => Write(response, skippable: false);

    /// <summary>Sends what is waiting, as far as the socket takes it now.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            SendWaiting();
        }
    }

    private bool Write(ReadOnlySpan<byte> data, bool skippable)
    {
        lock (_gate)
        {
            if (!SendWaiting() || (skippable && _waitingEnd > _waitingStart))
            {
                return false;
            }

            var sent = _waitingEnd > _waitingStart ? 0 : Send(data);
            if (sent < 0)
            {
                return false;
            }

            Keep(data[sent..]);
            return true;
        }
    }

    // False once the connection has failed.
    private bool SendWaiting()
    {
        while (!Failed && _waitingEnd > _waitingStart)
        {
            var sent = Send(_waiting.AsSpan(_waitingStart, _waitingEnd - _waitingStart));
            if (sent <= 0)
            {
                break;
            }

            _waitingStart += sent;
        }

        return !Failed;
    }

    private void Keep(ReadOnlySpan<byte> rest)
    {
        if (rest.IsEmpty)
        {
            return;
        }

        if (_waitingStart == _waitingEnd)
        {
            _waitingStart = _waitingEnd = 0;
        }

        if (_waitingEnd + rest.Length > _waiting.Length)
        {
            // Rare (a reader that stopped reading): moved to the front, into a larger array if need be.
            var kept = _waitingEnd - _waitingStart;
            var target = kept + rest.Length > _waiting.Length ? new byte[(kept + rest.Length) * 2] : _waiting;
            _waiting.AsSpan(_waitingStart, kept).CopyTo(target);
            (_waiting, _waitingStart, _waitingEnd) = (target, 0, kept);
        }

        rest.CopyTo(_waiting.AsSpan(_waitingEnd));
        _waitingEnd += rest.Length;
    }

    // The bytes the kernel took now (0 when the socket's buffer is full), or -1 when the connection failed.
    private int Send(ReadOnlySpan<byte> data)
    {
        if (Failed)
        {
            return -1;
        }

        fixed (byte* bytes = data)
        {
            var piece = new IoVec { Base = bytes, Length = (nuint)data.Length };
            var message = new MessageHeader { Iov = &piece, IovLength = 1 };
            try
            {
                var sent = Libc.SendMessage(socket, &message, Libc.DontWait | Libc.NoSignal, out var error);
                if (sent >= 0 || error == Libc.EAgain)
                {
                    return sent >= 0 ? (int)sent : 0;
                }
            }
            catch (ObjectDisposedException)
            {
                // Closed under us.
            }

            Failed = true;
            return -1;
        }
    }
}
