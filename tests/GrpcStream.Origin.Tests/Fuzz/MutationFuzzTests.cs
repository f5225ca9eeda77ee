using System.Diagnostics;
using GrpcStream.Origin.Conversion;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Media;
using GrpcStream.Testing;

namespace GrpcStream.Origin.Tests.Fuzz;

/// <summary>
/// Thousands of damaged real frames through everything that reads JPEG from outside: the parser, both splitters,
/// the converter and the RFC 2435 depacketizer. Each may refuse an input only with its typed exception, never
/// crash, and never take long over one. Seeded, so a failure repeats.
/// </summary>
public class MutationFuzzTests
{
    private const int Mutants = 3000;
    private static readonly TimeSpan PerInput = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Damaged_frames_meet_only_typed_errors_in_bounded_time()
    {
        byte[][] sources =
        [
            TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(1, 64, 48))[0],
            TestJpegs.SplitSimple(await TestJpegs.FfmpegFramesAsync(1, 64, 48, "yuvj444p"))[0], // must be re-encoded
            await TestJpegs.CjpegAsync(TestJpegs.Ppm(48, 32, seed: 5), "-progressive"), // must be re-coded
            await TestJpegs.CjpegAsync(TestJpegs.Ppm(64, 48, seed: 6), "-restart", "1"),
        ];
        var packetized = sources.Select(Packetize).Where(p => p is not null).ToArray();
        var converter = new FrameConverter(quality: 80);
        var random = new Random(20261124);
        var slowest = TimeSpan.Zero;
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);

        for (var i = 0; i < Mutants; i++)
        {
            var source = sources[i % sources.Length];
            var mutant = Mutate(source, random);
            var started = Stopwatch.GetTimestamp();

            var status = JpegParser.Parse(mutant, out var info, out _);
            Count(outcomes, status.ToString());
            try
            {
                // Both entry points must agree.
                Assert.Equal(status == JpegParseStatus.Complete, JpegParser.TryParse(mutant, out _));
                Assert.NotEqual(JpegParseStatus.Malformed, status);
            }
            catch (JpegFormatException)
            {
                Assert.Equal(JpegParseStatus.Malformed, status);
            }

            ConcatenatedJpegReader.Split((byte[])[.. mutant, .. source, .. mutant]);
            LengthPrefixedReader.Split(TestJpegs.LengthPrefixed([mutant, source]));
            if (status == JpegParseStatus.Complete)
            {
                try
                {
                    converter.Convert(new SourceFrame(mutant.AsMemory(0, info.Length), info));
                    Count(outcomes, "converted or passed");
                }
                catch (JpegConversionException)
                {
                    Count(outcomes, "conversion refused");
                }
            }

            var frame = packetized[i % packetized.Length]!;
            Depacketize(frame, random);

            var elapsed = Stopwatch.GetElapsedTime(started);
            slowest = elapsed > slowest ? elapsed : slowest;
            Assert.True(elapsed < PerInput, $"mutant {i} took {elapsed}");
        }

        // The mutations reach every outcome, or the fuzzing is not fuzzing much.
        Assert.True(outcomes.GetValueOrDefault("Malformed") > Mutants / 10, string.Join(", ", outcomes));
        Assert.True(outcomes.GetValueOrDefault("Complete") > Mutants / 10, string.Join(", ", outcomes));
        Assert.True(outcomes.GetValueOrDefault("conversion refused") > 0, string.Join(", ", outcomes));
        TestContext.Current.TestOutputHelper?.WriteLine($"{string.Join(", ", outcomes)}; slowest input {slowest.TotalMilliseconds:0} ms");
    }

    private static void Count(Dictionary<string, int> outcomes, string outcome) =>
        outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;

    /// <summary>One to four damages of the kinds real files and hostile peers produce.</summary>
    private static byte[] Mutate(byte[] source, Random random)
    {
        var bytes = new List<byte>(source);
        for (var n = random.Next(1, 5); n > 0 && bytes.Count > 4; n--)
        {
            var at = random.Next(2, bytes.Count);
            switch (random.Next(7))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    // A marker where none belongs: SOI, EOI, SOF0, SOS, DHT, DQT, DRI, an RST.
                    bytes.InsertRange(at, [0xFF, new byte[] { 0xD8, 0xD9, 0xC0, 0xDA, 0xC4, 0xDB, 0xDD, 0xD3 }[random.Next(8)]]);
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 4:
                    // A segment length made huge or tiny, just after some marker.
                    var marker = bytes.FindIndex(at, b => b == 0xFF);
                    if (marker >= 0 && marker + 3 < bytes.Count)
                    {
                        bytes[marker + 2] = (byte)random.Next(256);
                        bytes[marker + 3] = (byte)random.Next(256);
                    }

                    break;
                case 5:
                    var length = Math.Min(random.Next(1, 64), bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                default:
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 16), bytes.Count - at));
                    break;
            }
        }

        return [.. bytes];
    }

    private static PacketizedFrame? Packetize(byte[] jpeg)
    {
        Assert.True(JpegParser.TryParse(jpeg, out var info));
        if (RtpJpegCompatibility.Check(info) != RtpJpegIncompatibility.None)
        {
            return null;
        }

        var frame = new PacketizedFrame();
        new RtpJpegPacketizer(300).Packetize(jpeg, info, frame);
        return frame;
    }

    // The frame's packets with one of them damaged (its RFC 2435 header as likely as its data), pushed twice.
    private static void Depacketize(PacketizedFrame frame, Random random)
    {
        var depacketizer = new RtpJpegDepacketizer(maxFrameBytes: 64 * 1024);
        var damaged = random.Next(frame.PacketCount);
        for (uint ts = 0; ts < 2; ts++)
        {
            for (var i = 0; i < frame.PacketCount; i++)
            {
                var payload = frame.GetPayload(i).ToArray();
                if (i == damaged && ts == 0)
                {
                    payload[random.Next(Math.Min(payload.Length, random.Next(2) == 0 ? 12 : payload.Length))] = (byte)random.Next(256);
                }

                if (depacketizer.Push(ts * 3600, frame.IsLast(i), payload, out var jpeg))
                {
                    Assert.InRange(jpeg.Length, 1, 64 * 1024 + 1024);
                }
            }
        }
    }
}
