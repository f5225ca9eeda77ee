using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Rtp;
using GrpcStream.Testing;

namespace GrpcStream.Rtsp.Tests.Jpeg;

public class RtpJpegRoundTripTests
{
    public static TheoryData<string, int, int, string[]> CjpegCases => new()
    {
        { "4:2:0", 320, 240, [] },
        { "4:2:2", 320, 240, ["-sample", "2x1"] },
        { "4:2:0 with restart markers", 320, 240, ["-restart", "1"] },
        { "4:2:2 with restart markers", 176, 144, ["-sample", "2x1", "-restart", "2"] },
        { "4:2:0 odd size", 101, 75, [] },
        { "4:2:2 odd size", 333, 77, ["-sample", "2x1"] },
        { "quality 30", 160, 120, ["-quality", "30"] },
    };

    [Theory]
    [MemberData(nameof(CjpegCases))]
    public async Task Cjpeg_frames_survive_packetizing_and_depacketizing_pixel_for_pixel(string what, int width, int height, string[] arguments)
    {
        var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(width, height, seed: width), arguments);

        var rebuilt = RoundTrip(jpeg, maxPayload: 500, exactSize: (width, height), shuffle: true);

        var expected = await TestJpegs.DecodeAsync(jpeg);
        var actual = await TestJpegs.DecodeAsync(rebuilt);
        Assert.True(expected.AsSpan().SequenceEqual(actual), what);
    }

    [Theory]
    [InlineData("yuvj420p", 320, 240)]
    [InlineData("yuvj420p", 642, 362)]
    public async Task Ffmpeg_frames_survive_packetizing_and_depacketizing_pixel_for_pixel(string pixelFormat, int width, int height)
    {
        var frames = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(3, width, height, pixelFormat));

        foreach (var jpeg in frames)
        {
            var rebuilt = RoundTrip(jpeg, RtpJpegPacketizer.DefaultMaxPayloadSize, exactSize: (width, height), shuffle: false);
            Assert.Equal(await TestJpegs.DecodeAsync(jpeg), await TestJpegs.DecodeAsync(rebuilt));
        }
    }

    [Fact]
    public async Task Jpegtran_output_with_standard_tables_survives_pixel_for_pixel()
    {
        // ffmpeg writes optimized tables; jpegtran without -optimize re-codes with the standard ones.
        var optimized = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(1, 352, 288, standardHuffman: false))[0];
        var jpeg = await TestJpegs.JpegtranAsync(optimized, "-restart", "1");

        var rebuilt = RoundTrip(jpeg, 1000, exactSize: null, shuffle: true);

        Assert.Equal(await TestJpegs.DecodeAsync(optimized), await TestJpegs.DecodeAsync(rebuilt));
    }

    [Fact]
    public async Task One_packetized_frame_serves_many_sessions_without_copying_its_payload()
    {
        var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(320, 240));
        Assert.True(JpegParser.TryParse(jpeg, out var info));
        var frame = new PacketizedFrame();
        new RtpJpegPacketizer().Packetize(jpeg, info, frame);
        Span<byte> header = stackalloc byte[RtpHeader.Size];

        // Each session writes only its own 12-byte header; the payload it sends is the same memory for all.
        var payloads = new HashSet<(object?, int)>();
        for (uint session = 0; session < 100; session++)
        {
            for (var i = 0; i < frame.PacketCount; i++)
            {
                new RtpHeader(frame.IsLast(i), RtpJpegHeader.PayloadType, (ushort)(session + i), session * 7, session).Write(header);
                Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(frame.GetPayload(i), out var segment));
                payloads.Add((segment.Array, segment.Offset));
            }
        }

        Assert.Equal(frame.PacketCount, payloads.Count);
    }

    [Fact]
    public async Task Without_the_exact_size_a_receiver_gets_the_8_pixel_rounded_picture()
    {
        var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(101, 75));

        var rebuilt = RoundTrip(jpeg, 1400, exactSize: null, shuffle: false);

        Assert.True(JpegParser.TryParse(rebuilt, out var info));
        Assert.Equal((104, 80), ((int)info.Width, (int)info.Height));
    }

    [Fact]
    public async Task Packets_carry_the_rfc_2435_headers()
    {
        var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(320, 240), "-restart", "1");
        Assert.True(JpegParser.TryParse(jpeg, out var info));
        var frame = new PacketizedFrame();

        new RtpJpegPacketizer(600).Packetize(jpeg, info, frame);

        Assert.True(frame.PacketCount > 2);
        var expectedOffset = 0;
        for (var i = 0; i < frame.PacketCount; i++)
        {
            var payload = frame.GetPayload(i).Span;
            Assert.True(payload.Length <= 600);
            Assert.True(RtpJpegHeader.TryRead(payload, out var header));
            Assert.Equal(65, header.Type); // 4:2:0 with restart markers
            Assert.Equal(255, header.Q);
            Assert.Equal((40, 30), (header.Width8, header.Height8));
            Assert.Equal(expectedOffset, header.FragmentOffset);
            Assert.Equal([0xFF, 0xFF], payload.Slice(RtpJpegHeader.Size + 2, 2).ToArray()); // F, L, count 0x3FFF
            var headers = RtpJpegHeader.Size + RtpJpegHeader.RestartHeaderSize;
            if (i == 0)
            {
                // Quantization table header: MBZ, precision 0 (8-bit), length 128, then the DQT tables as stored.
                Assert.Equal([0, 0, 0, 128], payload.Slice(headers, 4).ToArray());
                var luma = info.GetQuantTable(info.GetComponent(0).QuantTable);
                var chroma = info.GetQuantTable(info.GetComponent(1).QuantTable);
                Assert.Equal(jpeg.AsSpan(luma.Offset, 64).ToArray(), payload.Slice(headers + 4, 64).ToArray());
                Assert.Equal(jpeg.AsSpan(chroma.Offset, 64).ToArray(), payload.Slice(headers + 68, 64).ToArray());
                headers += 4 + 128;
            }

            var data = payload[headers..];
            Assert.Equal(jpeg.AsSpan(info.ScanDataOffset + expectedOffset, data.Length).ToArray(), data.ToArray());
            expectedOffset += data.Length;
            Assert.Equal(i == frame.PacketCount - 1, frame.IsLast(i));
        }

        // The whole scan and nothing else: EOI is not sent.
        Assert.Equal(info.ScanDataLength, expectedOffset);
    }

    [Theory]
    [InlineData(new[] { "-progressive" }, RtpJpegIncompatibility.Progressive)]
    [InlineData(new[] { "-optimize" }, RtpJpegIncompatibility.HuffmanTables)]
    [InlineData(new[] { "-sample", "1x1" }, RtpJpegIncompatibility.Sampling)]
    [InlineData(new[] { "-grayscale" }, RtpJpegIncompatibility.ComponentCount)]
    public async Task Frames_that_cannot_be_carried_get_a_typed_reason(string[] arguments, RtpJpegIncompatibility expected)
    {
        var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(64, 48), arguments);
        Assert.True(JpegParser.TryParse(jpeg, out var info));

        var error = Assert.Throws<RtpJpegException>(() => new RtpJpegPacketizer().Packetize(jpeg, info, new PacketizedFrame()));

        Assert.Equal(expected, error.Reason);
    }

    [Fact]
    public async Task Ffmpeg_yuvj422p_gets_a_typed_reason()
    {
        var jpeg = TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(1, pixelFormat: "yuvj422p"))[0];
        Assert.True(JpegParser.TryParse(jpeg, out var info));

        var error = Assert.Throws<RtpJpegException>(() => new RtpJpegPacketizer().Packetize(jpeg, info, new PacketizedFrame()));

        Assert.Equal(RtpJpegIncompatibility.Sampling, error.Reason);
    }

    [Fact]
    public async Task A_lost_packet_drops_only_its_frame()
    {
        var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(320, 240));
        Assert.True(JpegParser.TryParse(jpeg, out var info));
        var frame = new PacketizedFrame();
        new RtpJpegPacketizer(500).Packetize(jpeg, info, frame);
        var depacketizer = new RtpJpegDepacketizer();
        var completed = 0;

        for (uint ts = 0; ts < 3; ts++)
        {
            for (var i = 0; i < frame.PacketCount; i++)
            {
                if (ts == 1 && i == 2)
                {
                    continue; // lost
                }

                completed += depacketizer.Push(ts * 3600, frame.IsLast(i), frame.GetPayload(i).Span, out _) ? 1 : 0;
            }
        }

        Assert.Equal(2, completed);
        Assert.Equal(2, depacketizer.FramesCompleted);
        Assert.Equal(1, depacketizer.FramesDropped);
        Assert.Equal(RtpJpegDropReason.MissingPackets, depacketizer.LastDropReason);
    }

    [Fact]
    public async Task Q_below_128_means_the_rfc_tables_for_that_quality()
    {
        // cjpeg scales the same Annex K tables by the same rule, so quality 50 is exactly RFC 2435's Q=50.
        var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(160, 96), "-quality", "50");
        Assert.True(JpegParser.TryParse(jpeg, out var info));
        var scan = jpeg.AsSpan(info.ScanDataOffset, info.ScanDataLength);
        var payload = new byte[RtpJpegHeader.Size + scan.Length];
        new RtpJpegHeader(0, 0, 1, 50, 20, 12).Write(payload);
        scan.CopyTo(payload.AsSpan(RtpJpegHeader.Size));

        Assert.True(new RtpJpegDepacketizer().Push(0, true, payload, out var rebuilt));

        Assert.Equal(await TestJpegs.DecodeAsync(jpeg), await TestJpegs.DecodeAsync(rebuilt.ToArray()));
    }

    [Fact]
    public async Task Packetizing_and_depacketizing_allocate_nothing_once_warm()
    {
        var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(640, 480), "-restart", "2");
        Assert.True(JpegParser.TryParse(jpeg, out var info));
        var packetizer = new RtpJpegPacketizer();
        var frame = new PacketizedFrame();
        var depacketizer = new RtpJpegDepacketizer();
        void OneFrame(uint timestamp)
        {
            Assert.True(JpegParser.TryParse(jpeg, out var parsed));
            packetizer.Packetize(jpeg, parsed, frame);
            for (var i = 0; i < frame.PacketCount; i++)
            {
                depacketizer.Push(timestamp, frame.IsLast(i), frame.GetPayload(i).Span, out _);
            }
        }

        OneFrame(0);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (uint ts = 1; ts <= 50; ts++)
        {
            OneFrame(ts * 3600);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(51, depacketizer.FramesCompleted);
    }

    [Fact]
    public async Task Without_keeping_frames_the_same_frames_complete_and_drop_and_their_lengths_are_known()
    {
        var jpeg = await TestJpegs.CjpegAsync(TestJpegs.Ppm(320, 240), "-restart", "1");
        Assert.True(JpegParser.TryParse(jpeg, out var info));
        var frame = new PacketizedFrame();
        new RtpJpegPacketizer(500).Packetize(jpeg, info, frame);
        var keeping = new RtpJpegDepacketizer();
        var counting = new RtpJpegDepacketizer(keepFrames: false);

        // Frame 1 loses a packet, frame 3 arrives in reverse order; the others in order.
        for (uint ts = 0; ts < 5; ts++)
        {
            var order = Enumerable.Range(0, frame.PacketCount).Where(i => ts != 1 || i != 2);
            foreach (var i in ts == 3 ? order.Reverse() : order)
            {
                var kept = keeping.Push(ts * 3600, frame.IsLast(i), frame.GetPayload(i).Span, out var image);
                var counted = counting.Push(ts * 3600, frame.IsLast(i), frame.GetPayload(i).Span, out var nothing);
                Assert.Equal(kept, counted);
                Assert.True(nothing.IsEmpty);
                if (kept)
                {
                    // The scan here has no end-of-image marker of its own, so the length is exact.
                    Assert.Equal(image.Length, counting.LastFrameLength);
                    Assert.Equal(image.Length, keeping.LastFrameLength);
                }
            }
        }

        Assert.Equal((4L, 1L), (counting.FramesCompleted, counting.FramesDropped));
        Assert.Equal((keeping.FramesCompleted, keeping.FramesDropped), (counting.FramesCompleted, counting.FramesDropped));
    }

    /// <summary>Packetizes, wraps in RTP, optionally shuffles the packets, and depacketizes.</summary>
    internal static byte[] RoundTrip(byte[] jpeg, int maxPayload, (int, int)? exactSize, bool shuffle)
    {
        Assert.True(JpegParser.TryParse(jpeg, out var info));
        var frame = new PacketizedFrame();
        new RtpJpegPacketizer(maxPayload).Packetize(jpeg, info, frame);
        var packets = Enumerable.Range(0, frame.PacketCount).Select(i => (Index: i, Payload: frame.GetPayload(i).ToArray())).ToList();
        if (shuffle)
        {
            new Random(7).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(packets));
        }

        var depacketizer = new RtpJpegDepacketizer { ExactSize = exactSize };
        byte[]? rebuilt = null;
        foreach (var (index, payload) in packets)
        {
            var rtp = new byte[RtpHeader.Size + payload.Length];
            new RtpHeader(frame.IsLast(index), RtpJpegHeader.PayloadType, (ushort)index, 90_000, 1).Write(rtp);
            payload.CopyTo(rtp, RtpHeader.Size);
            Assert.Equal(RtpPacketError.None, RtpPacket.TryParse(rtp, out var parsed));
            if (depacketizer.Push(parsed.Header.Timestamp, parsed.Header.Marker, parsed.PayloadOf(rtp), out var jpegOut))
            {
                rebuilt = jpegOut.ToArray();
            }
        }

        Assert.NotNull(rebuilt);
        return rebuilt;
    }
}
