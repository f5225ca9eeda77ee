using GrpcStream.Edge.Rtp;
using GrpcStream.Rtsp.Rtcp;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Edge.Tests.Rtp;

/// <summary>The RTP sender on a fake clock: numbering, counters and sender reports.</summary>
public class RtpSenderTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Sequence_numbers_are_reserved_per_frame_and_wrap()
    {
        var sender = new RtpSender(_time, 1, 65_530, 0);

        Assert.Equal(((ushort)65_530, 90u), sender.Stamp(90, 4));
        Assert.Equal(((ushort)65_534, 180u), sender.Stamp(180, 4));
        Assert.Equal((ushort)2, sender.NextSequence);
    }

    [Fact]
    public void Timestamps_carry_the_senders_random_offset()
    {
        var sender = new RtpSender(_time, 1, 0, uint.MaxValue - 10);

        Assert.Equal(uint.MaxValue - 10, sender.RtpTimeOf(0));
        Assert.Equal(89u, sender.RtpTimeOf(100)); // wraps as RTP time does
    }

    [Fact]
    public void A_sender_report_is_due_each_interval_and_describes_the_current_instant()
    {
        var sender = new RtpSender(_time, 0x1111, 0, 5000);
        sender.Sent(10, 12_000);
        var interval = TimeSpan.FromSeconds(5);

        Assert.False(sender.SenderReportDue(interval));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(sender.SenderReportDue(interval));

        // The latest frame (pts 9000) arrived half a second ago: the report's RTP time is half a second later.
        var arrived = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(500));
        var buffer = new byte[256];
        var length = sender.WriteReport(buffer, (9000, arrived), bye: false);

        Assert.False(sender.SenderReportDue(interval));
        var reader = new RtcpReader(buffer.AsSpan(0, length));
        Assert.True(reader.TryRead(out var packet));
        Assert.Equal(RtcpPacketType.SenderReport, packet.Type);
        Assert.True(packet.TryGetSenderInfo(out var info));
        Assert.Equal(0x1111u, packet.Ssrc);
        Assert.Equal(5000u + 9000u + 45_000u, info.RtpTimestamp);
        Assert.Equal(10u, info.PacketCount);
        Assert.Equal(12_000u, info.OctetCount);
        Assert.InRange((info.Ntp.ToDateTime() - _time.GetUtcNow()).Duration(), TimeSpan.Zero, TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public void Receiver_reports_count_only_newly_lost_packets()
    {
        var sender = new RtpSender(_time, 0x2222, 0, 0);

        Assert.Equal(3, sender.OnReceiverReport(new ReportBlock(0x2222, 0, 3, 100, 0, 0, 0)));
        Assert.Equal(2, sender.OnReceiverReport(new ReportBlock(0x2222, 0, 5, 200, 0, 0, 0)));
        Assert.Equal(0, sender.OnReceiverReport(new ReportBlock(0x2222, 0, 5, 300, 0, 0, 0)));
        Assert.Equal(5, sender.LastReport!.Value.CumulativeLost);
    }
}
