using GrpcStream.Rtsp.Rtcp;

namespace GrpcStream.Rtsp.Tests.Rtcp;

public class RtcpTests
{
    [Fact]
    public void A_compound_sender_report_sdes_and_bye_reads_back()
    {
        var buffer = new byte[512];
        var ntp = NtpTimestamp.FromDateTime(new DateTimeOffset(2026, 11, 23, 12, 0, 0, 500, TimeSpan.Zero));
        var at = RtcpWriter.SenderReport(buffer, 0xCAFE, new SenderInfo(ntp, 123456, 10, 14000));
        at += RtcpWriter.SourceDescription(buffer.AsSpan(at), 0xCAFE, "edge@example");
        at += RtcpWriter.Goodbye(buffer.AsSpan(at), 0xCAFE, "teardown");
        var compound = buffer.AsSpan(0, at);

        Assert.True(RtcpReader.Validate(compound));
        var reader = new RtcpReader(compound);
        Assert.True(reader.TryRead(out var sr));
        Assert.Equal(RtcpPacketType.SenderReport, sr.Type);
        Assert.Equal(0xCAFEu, sr.Ssrc);
        Assert.True(sr.TryGetSenderInfo(out var info));
        Assert.Equal(new SenderInfo(ntp, 123456, 10, 14000), info);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 12, 0, 0, 500, TimeSpan.Zero), info.Ntp.ToDateTime());
        Assert.True(reader.TryRead(out var sdes));
        Assert.Equal("edge@example", sdes.GetCname());
        Assert.True(reader.TryRead(out var bye));
        Assert.Equal(RtcpPacketType.Goodbye, bye.Type);
        Assert.Equal(0xCAFEu, bye.Ssrc);
        Assert.False(reader.TryRead(out _));
        Assert.Equal(0, at % 4);
    }

    [Fact]
    public void Receiver_report_blocks_keep_a_negative_cumulative_loss()
    {
        var buffer = new byte[128];
        ReportBlock[] blocks =
        [
            new(0x11, 64, -3, 70000, 250, 0x12345678, 65536),
            new(0x22, 0, 0x7FFFFF, 5, 0, 0, 0),
        ];
        var length = RtcpWriter.ReceiverReport(buffer, 0xBEEF, blocks);

        Assert.True(RtcpReader.Validate(buffer.AsSpan(0, length)));
        var reader = new RtcpReader(buffer.AsSpan(0, length));
        Assert.True(reader.TryRead(out var rr));
        Assert.Equal(2, rr.Count);
        Assert.True(rr.TryGetReportBlock(0, out var first));
        Assert.True(rr.TryGetReportBlock(1, out var second));
        Assert.False(rr.TryGetReportBlock(2, out _));
        Assert.Equal(blocks[0], first);
        Assert.Equal(blocks[1], second);
        Assert.Equal(0.25, first.FractionLostRatio);
    }

    [Fact]
    public void Ntp_middle_bits_are_what_lsr_carries()
    {
        var ntp = new NtpTimestamp(0x83AA7E80, 0x80000000);

        Assert.Equal(0x7E808000u, ntp.Middle32);
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 202, 0, 1, 0, 0, 0, 1 })] // starts with SDES
    [InlineData(new byte[] { 0x40, 201, 0, 1, 0, 0, 0, 1 })] // version 1
    [InlineData(new byte[] { 0x80, 201, 0, 5, 0, 0, 0, 1 })] // length past the end
    [InlineData(new byte[] { 0x80, 201, 0, 1, 0, 0, 0, 1, 0x80, 203 })] // trailing half packet
    [InlineData(new byte[] { 0xA0, 201, 0, 1, 0, 0, 0, 1 })] // padding on the first packet
    public void Malformed_compound_packets_are_rejected(byte[] bytes)
    {
        Assert.False(RtcpReader.Validate(bytes));
    }
}
