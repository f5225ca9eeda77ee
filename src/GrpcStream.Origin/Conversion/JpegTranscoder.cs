using BitMiracle.LibJpeg.Classic;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Shared.Jpeg;
using QuietErrorManager = GrpcStream.Shared.Jpeg.BaselineJpeg.QuietErrorManager;

namespace GrpcStream.Origin.Conversion;

/// <summary>A frame the JPEG library could not convert (unsupported coding, or data it cannot decode).</summary>
internal sealed class JpegConversionException : Exception
{
    public JpegConversionException(string message)
        : base(message)
    {
    }

    public JpegConversionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Turns JPEG images that RFC 2435 cannot carry into ones it can, with IJG libjpeg (the LibJpeg.NET port).
/// Two ways, the cheaper and exact one whenever it suffices:
/// <list type="bullet">
/// <item>re-coding: the DCT coefficients are kept and only the entropy coding is redone as a single
/// baseline scan with the standard Huffman tables (progressive, optimized tables, non-interleaved scans).
/// The decoded pixels stay exactly the same.</item>
/// <item>re-encoding: the image is decoded to RGB and encoded again as 4:2:0 (luma 2x2, chroma 1x1) for
/// 4:4:4, grayscale and unusual sampling. Lossy, at the configured quality.</item>
/// </list>
/// </summary>
internal static class JpegTranscoder
{
    /// <summary>True when re-coding alone makes <paramref name="info"/> carriable.</summary>
    public static bool CanRecodeLosslessly(in JpegImageInfo info) =>
        info.Precision == 8
        && info.Process is JpegProcess.Baseline or JpegProcess.ExtendedSequential or JpegProcess.Progressive
        && RtpJpegCompatibility.TryGetType(in info, out _);

    /// <summary>Re-codes the entropy-coded data as one baseline scan with standard Huffman tables.</summary>
    public static byte[] Recode(ReadOnlyMemory<byte> jpeg, ushort restartInterval)
    {
        return Run(jpeg, "re-code", (source, output) =>
        {
            var coefficients = source.jpeg_read_coefficients();
            var target = new jpeg_compress_struct(new QuietErrorManager());
            target.jpeg_stdio_dest(output);
            source.jpeg_copy_critical_parameters(target);
            target.Optimize_coding = false;
            target.Restart_interval = restartInterval;
            target.jpeg_write_coefficients(coefficients);
            target.jpeg_finish_compress();
            source.jpeg_finish_decompress();
        });
    }

    /// <summary>Decodes to RGB and encodes a baseline 4:2:0 image (luma 2x2, chroma 1x1).</summary>
    public static byte[] Reencode(ReadOnlyMemory<byte> jpeg, int quality)
    {
        return Run(jpeg, "re-encode", (source, output) =>
        {
            source.Out_color_space = J_COLOR_SPACE.JCS_RGB;
            source.jpeg_start_decompress();
            int width = source.Output_width, height = source.Output_height;
            var rows = new byte[height][];
            for (var y = 0; y < height; y++)
            {
                rows[y] = new byte[width * 3];
            }

            var row = new byte[1][];
            while (source.Output_scanline < height)
            {
                row[0] = rows[source.Output_scanline];
                source.jpeg_read_scanlines(row, 1);
            }

            source.jpeg_finish_decompress();
            Encode(rows, width, height, quality, output);
        });
    }

    /// <summary>Encodes RGB rows as baseline 4:2:0 JPEG with the standard Huffman tables.</summary>
    public static void Encode(byte[][] rgbRows, int width, int height, int quality, Stream output) =>
        BaselineJpeg.Encode(rgbRows, width, height, quality, output);

    private static byte[] Run(ReadOnlyMemory<byte> jpeg, string what, Action<jpeg_decompress_struct, Stream> work)
    {
        try
        {
            using var input = new MemoryStream(jpeg.ToArray(), writable: false);
            using var output = new MemoryStream(jpeg.Length);
            var source = new jpeg_decompress_struct(new QuietErrorManager());
            source.jpeg_stdio_src(input);
            source.jpeg_read_header(true);
            work(source, output);
            return output.ToArray();
        }
#pragma warning disable CA1031 // The library reports every failure as a bare Exception; it is wrapped, not swallowed.
        catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            throw new JpegConversionException($"JPEG {what} failed: {ex.Message}", ex);
        }
    }
}
