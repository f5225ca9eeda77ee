extern alias origin;

using BenchmarkDotNet.Attributes;
using GrpcStream.Rtsp.Media;
using origin::GrpcStream.Origin.Sample;

namespace GrpcStream.Benchmarks;

/// <summary>
/// The concatenated-JPEG splitter on 16 MiB of each kind of input: its cost must not depend on what the
/// bytes are (MB/s = 16.8 / mean in seconds).
/// </summary>
[MemoryDiagnoser]
public class SplitterBenchmarks
{
    private const int Size = 16 << 20;

    private byte[] _file = [];

    [Params("real", "random", "adversarial")]
    public string Input { get; set; } = "real";

    [GlobalSetup]
    public void GlobalSetup()
    {
        _file = Input switch
        {
            "real" => RealMjpeg(),
            "random" => RandomBytes(),
            _ => Adversarial(),
        };
    }

    [Benchmark]
    public int Split() => ConcatenatedJpegReader.Split(_file).Frames.Count;

    // The built-in test pattern, 640x480, frames back to back as ffmpeg -f mjpeg writes them.
    private static byte[] RealMjpeg()
    {
        var frames = Enumerable.Range(0, 50).Select(i => TestPatternStream.EncodeFrame(i, 50)).ToArray();
        var file = new byte[Size];
        var at = 0;
        for (var i = 0; at + frames[i % frames.Length].Length <= Size; i++)
        {
            var frame = frames[i % frames.Length];
            frame.CopyTo(file, at);
            at += frame.Length;
        }

        return file[..at];
    }

    private static byte[] RandomBytes()
    {
        var file = new byte[Size];
        new Random(7).NextBytes(file);
        return file;
    }

    // FF D8 FF E1 FF FA over and over, then zeros: every group starts a walk of the whole file that ends in an error.
    private static byte[] Adversarial()
    {
        byte[] group = [0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFA];
        var file = new byte[Size];
        for (var at = 0; at + group.Length <= Size - 65536; at += group.Length)
        {
            group.CopyTo(file, at);
        }

        return file;
    }
}
