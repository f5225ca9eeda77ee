namespace GrpcStream.Rtsp.Rtcp;

/// <summary>RTCP packet types (RFC 3550 12.1).</summary>
public enum RtcpPacketType : byte
{
    SenderReport = 200,
    ReceiverReport = 201,
    SourceDescription = 202,
    Goodbye = 203,
    ApplicationDefined = 204,
}

/// <summary>One reception report block (RFC 3550 6.4.1): what a receiver says about one source.</summary>
public readonly record struct ReportBlock(
    uint Ssrc,
    byte FractionLost,
    int CumulativeLost,
    uint ExtendedHighestSequence,
    uint Jitter,
    uint LastSenderReport,
    uint DelaySinceLastSenderReport)
{
    public const int Size = 24;

    /// <summary>The fraction lost as a ratio (0..1).</summary>
    public double FractionLostRatio => FractionLost / 256.0;
}

/// <summary>A sender report's sender information (RFC 3550 6.4.1).</summary>
public readonly record struct SenderInfo(NtpTimestamp Ntp, uint RtpTimestamp, uint PacketCount, uint OctetCount);
