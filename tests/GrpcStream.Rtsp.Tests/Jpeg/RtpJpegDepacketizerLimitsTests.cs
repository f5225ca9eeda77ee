using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Testing;

namespace GrpcStream.Rtsp.Tests.Jpeg;

/// <summary>What a sender can make a receiver hold: memory follows the bytes that arrived, never what a packet claims.</summary>
public class RtpJpegDepacketizerLimitsTests
{
    [Fact]
    public void A_fragment_claiming_a_far_offset_allocates_nothing_for_it()
    {
        var depacketizer = new RtpJpegDepacketizer();
        Assert.False(depacketizer.Push(0, false, Payload(0, 1000), out _));

        var far = Payload(RtpJpegCompatibility.MaxFrameBytes - 2000, 1000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.False(depacketizer.Push(0, true, far, out _));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(RtpJpegDropReason.TooFarAhead, depacketizer.LastDropReason);
        Assert.InRange(allocated, 0, 1024);
    }

    [Fact]
    public void A_frame_past_the_limit_is_dropped_and_the_next_one_plays()
    {
        var depacketizer = new RtpJpegDepacketizer(maxFrameBytes: 10_000);
        for (var offset = 0; offset < 12_000; offset += 1000)
        {
            depacketizer.Push(0, offset + 1000 >= 12_000, Payload(offset, 1000), out _);
        }

        Assert.Equal(RtpJpegDropReason.TooLarge, depacketizer.LastDropReason);
        Assert.Equal(1, depacketizer.FramesDropped);
        Assert.False(depacketizer.Push(3600, false, Payload(0, 1000), out _));
        Assert.True(depacketizer.Push(3600, true, Payload(1000, 1000), out var jpeg));
        Assert.True(jpeg.Length > 2000);
    }

    [Fact]
    public async Task Reordered_packets_within_the_window_rebuild_the_frame_and_too_many_early_ones_drop_it()
    {
        var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(640, 480, seed: 3), "-quality", "95");
        var inOrder = RtpJpegRoundTripTests.RoundTrip(jpeg, 1400, null, shuffle: false);

        // Neighbours swapped: what networks do.
        Assert.True(JpegParser.TryParse(jpeg, out var info));
        var frame = new PacketizedFrame();
        new RtpJpegPacketizer(300).Packetize(jpeg, info, frame);
        Assert.True(frame.PacketCount > RtpJpegDepacketizer.MaxEarlyFragments + 2);
        var swapped = Enumerable.Range(0, frame.PacketCount).Select(i => i % 2 == 0 ? Math.Min(i + 1, frame.PacketCount - 1) : i - 1).Distinct().ToList();
        Assert.Equal(inOrder, Rebuild(frame, swapped));

        // The first packet held back behind all the others, within the reorder window: the frame is still whole.
        var reversed = Enumerable.Range(1, frame.PacketCount - 1).Append(0).ToList();
        Assert.Equal(inOrder, Rebuild(frame, reversed));

        // Every other packet first: more separate early ranges than any reordering needs.
        var gaps = Enumerable.Range(0, frame.PacketCount).Where(i => i % 2 == 1).Concat(Enumerable.Range(0, frame.PacketCount).Where(i => i % 2 == 0)).ToList();
        var depacketizer = new RtpJpegDepacketizer();
        Assert.Null(Rebuild(frame, gaps, depacketizer));
        Assert.Equal(RtpJpegDropReason.TooFarAhead, depacketizer.LastDropReason);
    }

    private static byte[]? Rebuild(PacketizedFrame frame, List<int> order, RtpJpegDepacketizer? depacketizer = null)
    {
        depacketizer ??= new RtpJpegDepacketizer();
        byte[]? rebuilt = null;
        foreach (var index in order)
        {
            if (depacketizer.Push(90_000, frame.IsLast(index), frame.GetPayload(index).Span, out var jpeg))
            {
                rebuilt = jpeg.ToArray();
            }
        }

        return rebuilt;
    }

    // An RFC 2435 payload: type 1, Q 50, 64x48, then scan bytes.
    private static byte[] Payload(int offset, int length)
    {
        var payload = new byte[RtpJpegHeader.Size + length];
        new RtpJpegHeader(0, offset, 1, 50, 8, 6).Write(payload);
        payload.AsSpan(RtpJpegHeader.Size).Fill(0x55);
        return payload;
    }
}
