namespace GrpcStream.Rtsp.Rtp;

/// <summary>16-bit RTP sequence number arithmetic, which wraps around (RFC 3550 A.1).</summary>
public static class RtpSequence
{
    /// <summary>Signed distance from <paramref name="from"/> to <paramref name="to"/>, correct across the wrap.</summary>
    public static int Delta(ushort from, ushort to) => (short)(ushort)(to - from);

    /// <summary>True when <paramref name="candidate"/> comes after <paramref name="reference"/> (within half the space).</summary>
    public static bool IsNewer(ushort candidate, ushort reference) => Delta(reference, candidate) > 0;
}

/// <summary>
/// Extends 16-bit sequence numbers to a count that does not wrap, as a receiver does to compute loss
/// (RFC 3550 A.1). Late, reordered packets map to the cycle they belong to.
/// </summary>
public sealed class ExtendedSequence
{
    private bool _started;
    private ushort _max;
    private uint _cycles;

    /// <summary>The highest extended sequence number seen.</summary>
    public long Highest => _started ? ((long)_cycles << 16) | _max : -1;

    /// <summary>Maps a received sequence number to its extended value.</summary>
    public long Update(ushort sequence)
    {
        if (!_started)
        {
            _started = true;
            _max = sequence;
            return sequence;
        }

        var delta = RtpSequence.Delta(_max, sequence);
        if (delta > 0)
        {
            if (sequence < _max)
            {
                _cycles++;
            }

            _max = sequence;
            return ((long)_cycles << 16) | sequence;
        }

        // Late packet: it belongs to the previous cycle if it is numerically above the current maximum.
        var cycles = sequence > _max && _cycles > 0 ? _cycles - 1 : _cycles;
        return ((long)cycles << 16) | sequence;
    }
}
