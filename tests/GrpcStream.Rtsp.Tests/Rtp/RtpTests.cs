using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.Rtsp.Tests.Rtp;

public class RtpTests
{
    [Fact]
    public void Header_round_trips()
    {
        var header = new RtpHeader(Marker: true, PayloadType: 26, SequenceNumber: 65535, Timestamp: 0xFEEDBEEF, Ssrc: 0x01020304);
        var packet = new byte[RtpHeader.Size + 3];
        header.Write(packet);
        packet[12] = 7;

        Assert.Equal(RtpPacketError.None, RtpPacket.TryParse(packet, out var parsed));
        Assert.Equal(header, parsed.Header);
        Assert.Equal([0x80, 0x80 | 26, 0xFF, 0xFF, 0xFE, 0xED, 0xBE, 0xEF, 1, 2, 3, 4], packet[..12]);
        Assert.Equal(12, parsed.PayloadOffset);
        Assert.Equal(3, parsed.PayloadLength);
    }

    [Fact]
    public void Csrc_list_extension_and_padding_are_skipped()
    {
        byte[] packet =
        [
            0x80 | 0x20 | 0x10 | 2, 26, 0, 1, 0, 0, 0, 9, 0, 0, 0, 5, // V=2 P X CC=2
            1, 1, 1, 1, 2, 2, 2, 2, // two CSRCs
            0xBE, 0xDE, 0, 1, 9, 9, 9, 9, // extension of one word
            0xAA, 0xBB, // payload
            0, 0, 3, // three bytes of padding
        ];

        Assert.Equal(RtpPacketError.None, RtpPacket.TryParse(packet, out var parsed));
        Assert.Equal(2, parsed.CsrcCount);
        Assert.Equal([0xAA, 0xBB], parsed.PayloadOf(packet).ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 26, 0, 1 }, RtpPacketError.TooShort)]
    [InlineData(new byte[] { 0x40, 26, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, RtpPacketError.BadVersion)]
    [InlineData(new byte[] { 0x8F, 26, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, RtpPacketError.TooShort)]
    [InlineData(new byte[] { 0x90, 26, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE, 0, 9 }, RtpPacketError.BadExtension)]
    [InlineData(new byte[] { 0xA0, 26, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 40 }, RtpPacketError.BadPadding)]
    [InlineData(new byte[] { 0xA0, 26, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 }, RtpPacketError.BadPadding)]
    public void Malformed_packets_are_an_error_value(byte[] packet, RtpPacketError expected)
    {
        Assert.Equal(expected, RtpPacket.TryParse(packet, out _));
    }

    [Theory]
    [InlineData(65535, 0, 1)]
    [InlineData(0, 65535, -1)]
    [InlineData(100, 200, 100)]
    [InlineData(65000, 500, 1036)]
    public void Sequence_delta_is_right_across_the_wrap(int from, int to, int expected)
    {
        Assert.Equal(expected, RtpSequence.Delta((ushort)from, (ushort)to));
        Assert.Equal(expected > 0, RtpSequence.IsNewer((ushort)to, (ushort)from));
    }

    [Fact]
    public void Extended_sequence_counts_cycles_and_places_late_packets()
    {
        var extended = new ExtendedSequence();

        Assert.Equal(65534, extended.Update(65534));
        Assert.Equal(65535, extended.Update(65535));
        Assert.Equal(65536 + 1, extended.Update(1));
        Assert.Equal(65536 + 0, extended.Update(0)); // late, same cycle
        Assert.Equal(65533, extended.Update(65533)); // late, previous cycle
        Assert.Equal(65536 + 1, extended.Highest);
    }

    [Fact]
    public void Reception_statistics_count_loss_and_jitter()
    {
        var stats = new ReceptionStatistics();
        // Packets every 3600 ticks arriving exactly on time, except that 3 is lost and 5 arrives 900 ticks late.
        foreach (var seq in new ushort[] { 65534, 65535, 0, 1, 2, 4, 5 })
        {
            var sent = (uint)((ushort)(seq - 65534) * 3600);
            stats.OnPacket(seq, sent, sent + 1000 + (seq == 4 ? 900 : 0));
        }

        var block = stats.CreateReportBlock(42);

        Assert.Equal(7, stats.Received);
        Assert.Equal(8, stats.Expected);
        Assert.Equal(1, stats.Lost);
        Assert.Equal(1, block.CumulativeLost);
        Assert.Equal(32, block.FractionLost); // 1/8 of 256
        Assert.Equal((uint)(65536 + 5), block.ExtendedHighestSequence);
        Assert.InRange(stats.Jitter, 100, 120); // 900/16 up, then 900 back down: 56.25 + (900-56.25)/16
        Assert.Equal(0, stats.CreateReportBlock(42).FractionLost); // nothing lost in the next interval
    }
}
