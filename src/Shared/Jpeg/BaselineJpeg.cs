using BitMiracle.LibJpeg.Classic;

namespace GrpcStream.Shared.Jpeg;

/// <summary>
/// Encodes RGB rows as the JPEG that RFC 2435 carries (baseline, 4:2:0, standard Huffman tables) with IJG libjpeg
/// (the LibJpeg.NET port). Compiled into the origin (its test pattern and conversions) and the edge (its slate).
/// </summary>
internal static class BaselineJpeg
{
    public static void Encode(byte[][] rgbRows, int width, int height, int quality, Stream output)
    {
        var target = new jpeg_compress_struct(new QuietErrorManager());
        target.jpeg_stdio_dest(output);
        target.Image_width = width;
        target.Image_height = height;
        target.Input_components = 3;
        target.In_color_space = J_COLOR_SPACE.JCS_RGB;
        target.jpeg_set_defaults();
        target.jpeg_set_quality(quality, force_baseline: true);
        target.Optimize_coding = false;
        target.Component_info[0].H_samp_factor = 2;
        target.Component_info[0].V_samp_factor = 2;
        target.jpeg_start_compress(true);
        var row = new byte[1][];
        while (target.Next_scanline < height)
        {
            row[0] = rgbRows[target.Next_scanline];
            target.jpeg_write_scanlines(row, 1);
        }

        target.jpeg_finish_compress();
    }

    /// <summary>libjpeg prints warnings to the console by default; callers report failures themselves.</summary>
    internal sealed class QuietErrorManager : jpeg_error_mgr
    {
        public override void output_message()
        {
        }
    }
}
