using System.Collections.Concurrent;
using GrpcStream.Origin.Conversion;

namespace GrpcStream.Origin.Sample;

/// <summary>The built-in sample's frames: the test pattern encoded as baseline 4:2:0 JPEG with the standard tables.</summary>
internal static class TestPatternStream
{
    public const int Quality = 85;

    // Encoding is deterministic and takes a few milliseconds a frame: do it once per process and length.
    private static readonly ConcurrentDictionary<int, byte[][]> Encoded = new();

    /// <summary>The sample's <paramref name="count"/> frames, encoded once per process and length.</summary>
    public static byte[][] Frames(int count) => Encoded.GetOrAdd(count, Encode);

    public static byte[] EncodeFrame(int index, int count)
    {
        using var output = new MemoryStream();
        JpegTranscoder.Encode(TestPattern.Paint(index, count), TestPattern.Width, TestPattern.Height, Quality, output);
        return output.ToArray();
    }

    private static byte[][] Encode(int count)
    {
        var frames = new byte[count][];
        Parallel.For(0, count, i => frames[i] = EncodeFrame(i, count));
        return frames;
    }
}
