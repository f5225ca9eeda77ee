using GrpcStream.Rtsp.Jpeg;

namespace GrpcStream.Rtsp.Tests.Jpeg;

/// <summary>
/// A frame is handed out only when its own fragments cover it from offset 0 to the marker's end, each byte once:
/// never with bytes of an earlier frame left in the reused buffer, whatever offsets a sender claims.
/// </summary>
public class RtpJpegDepacketizerCoverageTests
{
    private const int FrameLength = 3000;

    [Fact]
    public void A_fragment_past_a_hole_does_not_complete_the_frame_with_old_bytes()
    {
        var depacketizer = new RtpJpegDepacketizer();
        var first = Scan(FrameLength, fill: 0x11);
        Assert.True(Push(depacketizer, 0, first, (0, 1000, false), (1000, 1000, false), (2000, 1000, true)));

        // The next frame: bytes 1000-1699 never sent, 1700-2999 sent twice over (700 + 1300 bytes fill the count).
        var second = Scan(FrameLength, fill: 0x22);
        Assert.False(Push(depacketizer, 3600, second, (0, 1000, false), (1700, 700, false), (1700, 1300, true)));
        Assert.Equal(RtpJpegDropReason.Overlap, depacketizer.LastDropReason);
        Assert.Equal(1, depacketizer.FramesDropped);
    }

    [Theory]
    [InlineData("duplicate of the first", RtpJpegDropReason.Duplicate, new[] { 0, 1000, 0, 1000 })]
    [InlineData("duplicate inside", RtpJpegDropReason.Duplicate, new[] { 0, 1000, 1000, 1000, 1200, 500 })]
    [InlineData("overlapping the end", RtpJpegDropReason.Overlap, new[] { 0, 1000, 900, 500 })]
    [InlineData("overlapping an early range", RtpJpegDropReason.Overlap, new[] { 0, 1000, 2000, 500, 1500, 600 })]
    [InlineData("covering an early range", RtpJpegDropReason.Overlap, new[] { 0, 1000, 1500, 200, 1000, 1500 })]
    public void Repeated_and_overlapping_fragments_drop_the_frame(string what, RtpJpegDropReason reason, int[] fragments)
    {
        var depacketizer = new RtpJpegDepacketizer();
        var scan = Scan(FrameLength, fill: 0x33);
        var pieces = fragments.Chunk(2).Select(f => (f[0], f[1], false)).ToArray();
        Assert.False(Push(depacketizer, 0, scan, pieces), what);
        Assert.Equal(reason, depacketizer.LastDropReason);

        // What comes after for the same frame is ignored; the next frame plays.
        Assert.False(Push(depacketizer, 0, scan, (0, 1000, false), (1000, 1000, false), (2000, 1000, true)));
        Assert.True(Push(depacketizer, 3600, scan, (0, 1000, false), (1000, 1000, false), (2000, 1000, true)));
        Assert.Equal(1, depacketizer.FramesDropped);
    }

    [Fact]
    public void Fragments_past_the_marker_end_or_a_marker_that_cuts_off_received_bytes_drop_the_frame()
    {
        var scan = Scan(FrameLength, fill: 0x44);
        var past = new RtpJpegDepacketizer();
        Assert.False(Push(past, 0, scan, (1000, 1000, true), (2000, 1000, false), (0, 1000, false)));
        Assert.Equal(RtpJpegDropReason.OutOfRange, past.LastDropReason);

        var cutOff = new RtpJpegDepacketizer();
        Assert.False(Push(cutOff, 0, scan, (0, 1000, false), (2000, 1000, false), (1000, 500, true)));
        Assert.Equal(RtpJpegDropReason.OutOfRange, cutOff.LastDropReason);
    }

    [Fact]
    public void A_frame_whose_marker_came_but_with_a_hole_is_dropped_when_the_next_begins()
    {
        var depacketizer = new RtpJpegDepacketizer();
        var scan = Scan(FrameLength, fill: 0x55);
        Assert.False(Push(depacketizer, 0, scan, (0, 1000, false), (2000, 1000, true)));
        Assert.True(Push(depacketizer, 3600, scan, (0, 1000, false), (1000, 1000, false), (2000, 1000, true)));
        Assert.Equal((1, RtpJpegDropReason.MissingPackets), (depacketizer.FramesDropped, depacketizer.LastDropReason));
    }

    [Fact]
    public void Frames_that_share_a_timestamp_each_come_out_whole()
    {
        // GStreamer's payloader gives frames without their own time the same timestamp: a completed frame ends there,
        // and the next fragment at offset 0 starts the next frame with nothing of the last one's coverage.
        var depacketizer = new RtpJpegDepacketizer();
        var scan = Scan(FrameLength, fill: 0x66);
        Assert.True(Push(depacketizer, 0, scan, (0, 1000, false), (1000, 1000, false), (2000, 1000, true)));
        Assert.False(Push(depacketizer, 0, scan, (0, 1000, false), (2000, 1000, true)));
        Assert.True(Push(depacketizer, 90, scan, (0, 1000, false), (1000, 1000, false), (2000, 1000, true)));
        Assert.Equal((2, 1), (depacketizer.FramesCompleted, depacketizer.FramesDropped));
    }

    /// <summary>
    /// Random fragment sets, after a frame of other bytes has filled the buffer: whatever is sent, a frame comes out
    /// only if it is exactly the source frame, and an exact cover in any order within the limits always comes out.
    /// </summary>
    [Fact]
    public void Only_the_exact_source_frame_ever_comes_out_of_random_fragment_sets()
    {
        var random = new Random(2435);
        var source = Scan(FrameLength, fill: 0x77);
        var other = Scan(FrameLength, fill: 0x88);
        var expected = Rebuilt(source);
        var (completed, exact) = (0, 0);
        for (var round = 0; round < 3000; round++)
        {
            var depacketizer = new RtpJpegDepacketizer();
            Assert.True(Push(depacketizer, 0, other, (0, FrameLength, true)));

            // An exact cover: cut points, then shuffled; sometimes spoiled.
            var cuts = Enumerable.Range(0, random.Next(1, 12)).Select(_ => random.Next(1, FrameLength)).Append(0).Append(FrameLength).Distinct().Order().ToArray();
            var pieces = cuts.Zip(cuts.Skip(1), (a, b) => (Offset: a, Length: b - a, Marker: b == FrameLength)).ToList();
            var spoiled = random.Next(4) != 0;
            if (spoiled)
            {
                Spoil(pieces, random);
            }
            else
            {
                exact++;
            }

            var order = pieces.OrderBy(_ => random.Next()).ToArray();
            if (Push(depacketizer, 3600, source, order, out var jpeg))
            {
                completed++;
                Assert.Equal(expected, jpeg);
            }
            else
            {
                Assert.True(spoiled, $"round {round}: an exact cover in {order.Length} fragments did not complete");
            }
        }

        Assert.True(completed >= exact, $"{completed} completed, {exact} exact covers");
    }

    // A hole, a repeat, an overlap, a fragment past the end, or a shifted piece.
    private static void Spoil(List<(int Offset, int Length, bool Marker)> pieces, Random random)
    {
        var i = random.Next(pieces.Count);
        var piece = pieces[i];
        switch (random.Next(5))
        {
            case 0 when pieces.Count > 1 && !piece.Marker:
                pieces.RemoveAt(i);
                break;
            case 1:
                pieces.Add(piece with { Marker = false });
                break;
            case 2:
                var start = random.Next(FrameLength - 1);
                pieces.Add((start, random.Next(1, FrameLength - start + 1), false));
                break;
            case 3:
                pieces.Add((FrameLength + random.Next(0, 100), random.Next(1, 200), random.Next(2) == 0));
                break;
            default:
                var shift = random.Next(-50, 51);
                pieces[i] = (Math.Clamp(piece.Offset + shift, 0, FrameLength - 1), piece.Length, piece.Marker);
                break;
        }
    }

    private static byte[] Rebuilt(byte[] scan)
    {
        var depacketizer = new RtpJpegDepacketizer();
        Assert.True(Push(depacketizer, 0, scan, [(0, scan.Length, true)], out var jpeg));
        return jpeg;
    }

    private static byte[] Scan(int length, byte fill)
    {
        var scan = new byte[length];
        for (var i = 0; i < length; i++)
        {
            scan[i] = (byte)(fill + (i * 7));
        }

        return scan;
    }

    private static bool Push(RtpJpegDepacketizer depacketizer, uint timestamp, byte[] scan, params (int Offset, int Length, bool Marker)[] pieces) =>
        Push(depacketizer, timestamp, scan, pieces, out _);

    private static bool Push(RtpJpegDepacketizer depacketizer, uint timestamp, byte[] scan, IReadOnlyList<(int Offset, int Length, bool Marker)> pieces, out byte[] jpeg)
    {
        jpeg = [];
        var completed = false;
        foreach (var (offset, length, marker) in pieces)
        {
            // An RFC 2435 payload: type 1, Q 50, 64x48, then these bytes of the scan (zeros past its end).
            var payload = new byte[RtpJpegHeader.Size + length];
            new RtpJpegHeader(0, offset, 1, 50, 8, 6).Write(payload);
            if (offset < scan.Length)
            {
                scan.AsSpan(offset, Math.Min(length, scan.Length - offset)).CopyTo(payload.AsSpan(RtpJpegHeader.Size));
            }

            if (depacketizer.Push(timestamp, marker, payload, out var rebuilt))
            {
                jpeg = rebuilt.ToArray();
                completed = true;
            }
        }

        return completed;
    }
}
