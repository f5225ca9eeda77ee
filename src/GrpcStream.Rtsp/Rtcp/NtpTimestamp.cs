namespace GrpcStream.Rtsp.Rtcp;

/// <summary>A 64-bit NTP timestamp: seconds since 1900-01-01 UTC and a 32-bit binary fraction (RFC 3550 4).</summary>
public readonly record struct NtpTimestamp(uint Seconds, uint Fraction)
{
    private static readonly DateTimeOffset Epoch = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The middle 32 bits, as carried in LSR (last sender report) fields.</summary>
    public uint Middle32 => (Seconds << 16) | (Fraction >> 16);

    public ulong Value => ((ulong)Seconds << 32) | Fraction;

    public static NtpTimestamp FromDateTime(DateTimeOffset time)
    {
        var ticks = (time - Epoch).Ticks;
        var seconds = (ulong)(ticks / TimeSpan.TicksPerSecond);
        var fraction = (ulong)(ticks % TimeSpan.TicksPerSecond) * (1UL << 32) / TimeSpan.TicksPerSecond;
        return new NtpTimestamp((uint)seconds, (uint)fraction);
    }

    public DateTimeOffset ToDateTime() =>
        Epoch.AddTicks(((long)Seconds * TimeSpan.TicksPerSecond) + (long)((ulong)Fraction * TimeSpan.TicksPerSecond >> 32));
}
