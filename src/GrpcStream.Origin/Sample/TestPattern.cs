namespace GrpcStream.Origin.Sample;

/// <summary>
/// Paints the frames of the built-in test pattern as RGB rows: colour bars, a box that sweeps across them,
/// a frame counter in seven-segment digits and a progress bar, so that a viewer can see motion, count
/// frames and spot a frozen or skipped picture.
/// </summary>
internal static class TestPattern
{
    public const int Width = 320;
    public const int Height = 240;

    private const int BarsHeight = 160;
    private const int BoxSize = 32;
    private const int DigitWidth = 20;
    private const int DigitHeight = 36;
    private const int Stroke = 4;

    // 75% colour bars: white, yellow, cyan, green, magenta, red, blue.
    private static readonly (byte R, byte G, byte B)[] Bars =
    [
        (191, 191, 191), (191, 191, 0), (0, 191, 191), (0, 191, 0), (191, 0, 191), (191, 0, 0), (0, 0, 191),
    ];

    // Segments a..g of each digit, as bits 0..6.
    private static readonly byte[] Segments = [0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F];

    public static byte[][] Paint(int index, int count)
    {
        var rows = new byte[Height][];
        for (var y = 0; y < Height; y++)
        {
            rows[y] = new byte[Width * 3];
        }

        for (var x = 0; x < Width; x++)
        {
            var bar = Bars[x * Bars.Length / Width];
            Fill(rows, x, 0, 1, BarsHeight, bar);
        }

        Fill(rows, 0, BarsHeight, Width, Height - BarsHeight, (24, 24, 32));

        // The box goes right and back once per loop, so the loop point is smooth.
        var travel = Width - BoxSize;
        var phase = count <= 1 ? 0 : 2.0 * index / count;
        var boxX = (int)(travel * (phase <= 1 ? phase : 2 - phase));
        Fill(rows, boxX, (BarsHeight - BoxSize) / 2, BoxSize, BoxSize, (255, 255, 255));
        Fill(rows, boxX + (BoxSize / 4), ((BarsHeight - BoxSize) / 2) + (BoxSize / 4), BoxSize / 2, BoxSize / 2, (16, 16, 16));

        var text = index.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < text.Length; i++)
        {
            DrawDigit(rows, 16 + (i * (DigitWidth + 8)), BarsHeight + 16, text[i] - '0');
        }

        var progress = count <= 1 ? Width : (Width - 32) * (index + 1) / count;
        Fill(rows, 16, Height - 12, progress, 4, (255, 160, 0));
        return rows;
    }

    private static void DrawDigit(byte[][] rows, int left, int top, int digit)
    {
        var on = Segments[digit];
        var half = DigitHeight / 2;
        (int X, int Y, int W, int H)[] shapes =
        [
            (left, top, DigitWidth, Stroke),                                    // a
            (left + DigitWidth - Stroke, top, Stroke, half),                    // b
            (left + DigitWidth - Stroke, top + half, Stroke, half),             // c
            (left, top + DigitHeight - Stroke, DigitWidth, Stroke),             // d
            (left, top + half, Stroke, half),                                   // e
            (left, top, Stroke, half),                                          // f
            (left, top + half - (Stroke / 2), DigitWidth, Stroke),              // g
        ];
        for (var s = 0; s < shapes.Length; s++)
        {
            if ((on & (1 << s)) != 0)
            {
                Fill(rows, shapes[s].X, shapes[s].Y, shapes[s].W, shapes[s].H, (240, 240, 240));
            }
        }
    }

    private static void Fill(byte[][] rows, int x, int y, int w, int h, (byte R, byte G, byte B) colour)
    {
        for (var row = Math.Max(0, y); row < Math.Min(Height, y + h); row++)
        {
            var line = rows[row];
            for (var col = Math.Max(0, x); col < Math.Min(Width, x + w); col++)
            {
                line[col * 3] = colour.R;
                line[(col * 3) + 1] = colour.G;
                line[(col * 3) + 2] = colour.B;
            }
        }
    }
}
