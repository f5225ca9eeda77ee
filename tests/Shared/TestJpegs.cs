using System.Text;

namespace GrpcStream.Testing;

/// <summary>JPEG images for tests, made by real encoders (ffmpeg, libjpeg's cjpeg and jpegtran).</summary>
public static class TestJpegs
{
    /// <summary>
    /// <paramref name="count"/> frames of ffmpeg's moving test source as concatenated JPEG. By default with the
    /// standard Huffman tables (<c>-huffman default</c>); ffmpeg otherwise writes optimized tables.
    /// </summary>
    public static Task<byte[]> FfmpegFramesAsync(int count, int width = 320, int height = 240, string pixelFormat = "yuvj420p", bool standardHuffman = true) =>
        ExternalTool.RunAsync("ffmpeg",
        [
            "-v", "error", "-f", "lavfi", "-i", $"testsrc=size={width}x{height}:rate=25", "-frames:v", count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-pix_fmt", pixelFormat, "-c:v", "mjpeg", "-q:v", "4", .. (standardHuffman ? new[] { "-huffman", "default" } : []), "-f", "mjpeg", "-",
        ]);

    /// <summary>An RGB test picture as a binary PPM: gradients and a few hard edges, so sampling changes show.</summary>
    public static byte[] Ppm(int width, int height, int seed = 0)
    {
        var header = Encoding.ASCII.GetBytes($"P6\n{width} {height}\n255\n");
        var data = new byte[header.Length + (width * height * 3)];
        header.CopyTo(data, 0);
        var at = header.Length;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                data[at++] = (byte)((x * 255 / Math.Max(1, width - 1)) + seed);
                data[at++] = (byte)((y * 255 / Math.Max(1, height - 1)) ^ (((x / 16) + (y / 16) + seed) % 2 == 0 ? 0 : 96));
                data[at++] = (byte)(((x + y) * 2) + (seed * 7));
            }
        }

        return data;
    }

    /// <summary>Encodes a PPM with libjpeg's cjpeg (standard Huffman tables unless told otherwise).</summary>
    public static Task<byte[]> CjpegAsync(byte[] ppm, params string[] arguments) => ExternalTool.RunAsync("cjpeg", arguments, ppm);

    public static Task<byte[]> JpegtranAsync(byte[] jpeg, params string[] arguments) => ExternalTool.RunAsync("jpegtran", arguments, jpeg);

    /// <summary>Decodes with libjpeg's djpeg to raw pixels (PPM, or PGM for grayscale): what a viewer would show.</summary>
    public static Task<byte[]> DecodeAsync(byte[] jpeg) => ExternalTool.RunAsync("djpeg", ["-pnm"], jpeg);

    /// <summary>Which of the pictures <paramref name="pixels"/> (decoded) each frame is, pixel for pixel; fails on a frame that is none.</summary>
    public static async Task<List<int>> IdentifyAsync(IEnumerable<byte[]> frames, byte[][] pixels)
    {
        var indices = new List<int>();
        foreach (var frame in frames)
        {
            var decoded = await DecodeAsync(frame);
            var index = Array.FindIndex(pixels, p => p.AsSpan().SequenceEqual(decoded));
            Assert.True(index >= 0, "a frame that is none of the source's, pixel for pixel");
            indices.Add(index);
        }

        return indices;
    }

    /// <summary>Largest difference of any sample between two decoded pictures of the same size.</summary>
    public static int MaxDifference(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        var max = 0;
        for (var i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }

    /// <summary>Mean absolute difference per sample.</summary>
    public static double MeanDifference(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        long sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return (double)sum / a.Length;
    }

    /// <summary>Splits concatenated JPEG images at their EOI markers the simple way (fine for encoder output without thumbnails).</summary>
    public static List<byte[]> SplitSimple(byte[] concatenated)
    {
        var frames = new List<byte[]>();
        var start = 0;
        for (var i = 2; i + 1 < concatenated.Length; i++)
        {
            if (concatenated[i] == 0xFF && concatenated[i + 1] == 0xD9 && i + 2 <= concatenated.Length
                && (i + 2 == concatenated.Length || (concatenated[i + 2] == 0xFF && concatenated[i + 3] == 0xD8)))
            {
                frames.Add(concatenated[start..(i + 2)]);
                start = i + 2;
                i += 3;
            }
        }

        return frames;
    }

    /// <summary>Writes frames in the lab format: a 5-digit length, then the JPEG.</summary>
    public static byte[] LengthPrefixed(IEnumerable<byte[]> frames)
    {
        using var output = new MemoryStream();
        foreach (var frame in frames)
        {
            output.Write(Encoding.ASCII.GetBytes(frame.Length.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)));
            output.Write(frame);
        }

        return output.ToArray();
    }
}
