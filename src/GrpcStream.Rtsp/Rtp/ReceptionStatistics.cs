using GrpcStream.Rtsp.Rtcp;

namespace GrpcStream.Rtsp.Rtp;

/// <summary>
/// What a receiver keeps per source to report reception quality (RFC 3550 A.3 and A.8): packets received and
/// expected, loss, and interarrival jitter in timestamp units.
/// </summary>
public sealed class ReceptionStatistics
{
    private readonly ExtendedSequence _sequence = new();
    private long _base = -1;
    private long _expectedPrior;
    private long _receivedPrior;
    private long _lastTransit;
    private bool _haveTransit;

    public long Received { get; private set; }

    public long HighestExtendedSequence => _sequence.Highest;

    public long Expected => _base < 0 ? 0 : _sequence.Highest - _base + 1;

    /// <summary>Packets expected but not received (never negative, though duplicates can make RFC 3550's figure so).</summary>
    public long Lost => Math.Max(0, Expected - Received);

    /// <summary>Interarrival jitter estimate, in timestamp units.</summary>
    public double Jitter { get; private set; }

    /// <param name="sequence">The packet's sequence number.</param>
    /// <param name="rtpTimestamp">The packet's RTP timestamp.</param>
    /// <param name="arrival">Arrival time converted to the same clock as the RTP timestamps.</param>
    public void OnPacket(ushort sequence, uint rtpTimestamp, long arrival)
    {
        var extended = _sequence.Update(sequence);
        if (_base < 0)
        {
            _base = extended;
        }

        Received++;
        var transit = arrival - rtpTimestamp;
        if (_haveTransit)
        {
            var d = Math.Abs(transit - _lastTransit);
            Jitter += (d - Jitter) / 16.0;
        }

        _lastTransit = transit;
        _haveTransit = true;
    }

    /// <summary>A report block for <paramref name="ssrc"/>; advances the interval used for the fraction lost.</summary>
    public ReportBlock CreateReportBlock(uint ssrc, uint lastSenderReport = 0, uint delaySinceLastSenderReport = 0)
    {
        var expected = Expected;
        var expectedInterval = expected - _expectedPrior;
        var receivedInterval = Received - _receivedPrior;
        _expectedPrior = expected;
        _receivedPrior = Received;
        var lostInterval = expectedInterval - receivedInterval;
        var fraction = expectedInterval <= 0 || lostInterval <= 0 ? 0 : (byte)Math.Min(255, (lostInterval << 8) / expectedInterval);
        return new ReportBlock(
            ssrc,
            (byte)fraction,
            (int)Math.Clamp(expected - Received, -0x800000, 0x7FFFFF),
            (uint)Math.Max(0, _sequence.Highest),
            (uint)Jitter,
            lastSenderReport,
            delaySinceLastSenderReport);
    }
}
