using GrpcStream.Origin.Sample;
using GrpcStream.Rtsp.Media;

namespace GrpcStream.Origin.Catalogue;

/// <summary>The built-in sample as a stream of the catalogue: the test pattern's frames, held in memory.</summary>
internal static class SampleStream
{
    public static MediaStream Create(string name, double frameRate, int frameCount, StreamLoader loader)
    {
        var split = new FrameSplit();
        foreach (var (i, jpeg) in TestPatternStream.Frames(frameCount).Index())
        {
            split.TryAdd(jpeg, FrameLocation.At(i, 0));
        }

        return loader.FromMemory(name, SourceFormat.Generated, split, new SourceFingerprint(0, DateTime.UnixEpoch, frameCount), out var whyNot)
            ?? throw new InvalidOperationException("The built-in sample could not be made: " + whyNot);
    }
}
