using System.Globalization;
using GrpcStream.Shared.Jpeg;

namespace GrpcStream.Edge.Streams;

/// <summary>
/// The slate: a "STREAM UNAVAILABLE" picture with the time (UTC), painted at the stream's own size so that players
/// keep their decoder and layout, and encoded as the JPEG RFC 2435 carries. Text is drawn with a small built-in
/// 5x7 pixel font, scaled to the picture, so nothing depends on fonts installed in the container.
/// </summary>
internal static class SlateImage
{
    /// <summary>The background, which tests (and eyes) tell the slate by.</summary>
    public static readonly (byte R, byte G, byte B) Background = (40, 40, 48);

    private const int Quality = 80;
    private const int GlyphWidth = 5;
    private const int GlyphHeight = 7;
    private static readonly (byte R, byte G, byte B) Ink = (220, 220, 220);
    private static readonly (byte R, byte G, byte B) Band = (200, 140, 0);

    // Each glyph is seven rows of five pixels, the high bit on the left.
    private static readonly Dictionary<char, byte[]> Glyphs = new()
    {
        ['A'] = [0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001],
        ['B'] = [0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110],
        ['C'] = [0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110],
        ['E'] = [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111],
        ['I'] = [0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
        ['L'] = [0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111],
        ['M'] = [0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001],
        ['N'] = [0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001, 0b10001],
        ['R'] = [0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001],
        ['S'] = [0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110],
        ['T'] = [0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100],
        ['U'] = [0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110],
        ['V'] = [0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100],
        ['0'] = [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110],
        ['1'] = [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
        ['2'] = [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111],
        ['3'] = [0b11110, 0b00001, 0b00001, 0b01110, 0b00001, 0b00001, 0b11110],
        ['4'] = [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010],
        ['5'] = [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110],
        ['6'] = [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110],
        ['7'] = [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000],
        ['8'] = [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110],
        ['9'] = [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100],
        [':'] = [0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000],
    };

    /// <summary>The slate at <paramref name="width"/> x <paramref name="height"/>, showing <paramref name="now"/>.</summary>
    public static byte[] Render(int width, int height, DateTimeOffset now)
    {
        var rows = new byte[height][];
        for (var y = 0; y < height; y++)
        {
            rows[y] = new byte[width * 3];
            Fill(rows[y], 0, width, Background);
        }

        // Amber bands top and bottom, a sixteenth of the height each: unmistakable even as a thumbnail.
        var band = Math.Max(2, height / 16);
        for (var y = 0; y < band; y++)
        {
            Fill(rows[y], 0, width, Band);
            Fill(rows[height - 1 - y], 0, width, Band);
        }

        const string Title = "STREAM UNAVAILABLE";
        var clock = now.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";
        var scale = Math.Max(1, width * 4 / 5 / (Title.Length * (GlyphWidth + 1)));
        var lineHeight = (GlyphHeight + 3) * scale;
        var top = (height - (2 * lineHeight)) / 2;
        Write(rows, width, height, Title, top, scale);
        Write(rows, width, height, clock, top + lineHeight + scale, Math.Max(1, scale * 2 / 3));

        using var output = new MemoryStream();
        BaselineJpeg.Encode(rows, width, height, Quality, output);
        return output.ToArray();
    }

    /// <summary>Writes <paramref name="text"/> centred across the picture, its top at <paramref name="top"/>.</summary>
    private static void Write(byte[][] rows, int width, int height, string text, int top, int scale)
    {
        var left = (width - (text.Length * (GlyphWidth + 1) * scale)) / 2;
        for (var i = 0; i < text.Length; i++)
        {
            if (!Glyphs.TryGetValue(text[i], out var glyph))
            {
                continue; // a space
            }

            for (var gy = 0; gy < GlyphHeight; gy++)
            {
                for (var gx = 0; gx < GlyphWidth; gx++)
                {
                    if ((glyph[gy] & (1 << (GlyphWidth - 1 - gx))) == 0)
                    {
                        continue;
                    }

                    var x = left + (((i * (GlyphWidth + 1)) + gx) * scale);
                    for (var dy = 0; dy < scale; dy++)
                    {
                        var y = top + (gy * scale) + dy;
                        if (y >= 0 && y < height && x >= 0)
                        {
                            Fill(rows[y], x, Math.Min(scale, width - x), Ink);
                        }
                    }
                }
            }
        }
    }

    private static void Fill(byte[] row, int x, int count, (byte R, byte G, byte B) colour)
    {
        for (var i = x; i < x + count; i++)
        {
            row[i * 3] = colour.R;
            row[(i * 3) + 1] = colour.G;
            row[(i * 3) + 2] = colour.B;
        }
    }
}
