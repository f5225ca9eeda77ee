using System.Collections.Concurrent;
using GrpcStream.Origin.Catalogue;
using GrpcStream.Origin.Conversion;
using GrpcStream.Rtsp.Media;

namespace GrpcStream.Origin.Sample;

/// <summary>Makes the built-in sample stream: the test pattern encoded as baseline 4:2:0 JPEG with the standard tables.</summary>
internal static class TestPatternStream
{
    public const int Quality = 85;

    // Encoding is deterministic and takes a few milliseconds a frame: do it once per process and length.
    private static readonly ConcurrentDictionary<int, byte[][]> Encoded = new();

    public static MediaStream Create(string name, double frameRate, int frameCount, StreamLoader loader)
    {
        var frames = Encoded.GetOrAdd(frameCount, Encode);
        var split = new FrameSplit();
        foreach (var (i, jpeg) in frames.Index())
        {
            split.TryAdd(jpeg, FrameLocation.At(i, 0));
        }

        return loader.FromMemory(name, SourceFormat.Generated, split, new SourceFingerprint(0, DateTime.UnixEpoch, frameCount), out var whyNot)
            ?? throw new InvalidOperationException("The built-in sample could not be made: " + whyNot);
    }

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
