namespace GrpcStream.Origin.Live;

/// <summary>
/// The arithmetic of a stream's clock. Sequence numbers count frame periods since the Unix epoch, so every
/// origin process, restarted or not, agrees on which sequence number is live at a given moment; an edge that
/// reconnects after an origin restart can resume by sequence number.
/// </summary>
internal readonly struct LiveClock(double frameRate)
{
    /// <summary>The RTP video clock rate.</summary>
    public const decimal ClockRate = 90_000m;

    public double FrameRate { get; } = frameRate;

    public TimeSpan Period => TimeSpan.FromSeconds(1 / FrameRate);

    public ulong SequenceAt(DateTimeOffset utc) =>
        (ulong)Math.Floor(utc.ToUnixTimeMilliseconds() / 1000.0 * FrameRate);

    /// <summary>Presentation time of a sequence number on the 90 kHz clock (decimal keeps it exact for any rate).</summary>
    public ulong Pts90kHz(ulong sequence) => (ulong)decimal.Round(sequence * ClockRate / (decimal)FrameRate);

    /// <summary>How many whole periods fit in <paramref name="elapsed"/>.</summary>
    public long PeriodsIn(TimeSpan elapsed) => (long)Math.Floor(elapsed.TotalSeconds * FrameRate);

    /// <summary>When period <paramref name="n"/> starts, counted from the clock's start.</summary>
    public TimeSpan StartOf(long n) => TimeSpan.FromSeconds(n / FrameRate);
}
