namespace GrpcStream.Rtsp.Jpeg;

/// <summary>
/// The example quantization tables of ITU-T T.81 Annex K.1 and the RFC 2435 (Appendix A) rule for scaling
/// them by a Q factor of 1..99. DQT segments and RFC 2435 table headers hold tables in zig-zag order.
/// </summary>
public static class QuantizationTables
{
    /// <summary>Natural (row-major) index of the coefficient at each zig-zag position (T.81 figure A.6).</summary>
    public static ReadOnlySpan<byte> ZigZagToNatural =>
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    /// <summary>Table K.1, luminance, in natural order.</summary>
    public static ReadOnlySpan<byte> LuminanceNatural =>
    [
        16, 11, 10, 16, 24, 40, 51, 61,
        12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77,
        24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101,
        72, 92, 95, 98, 112, 100, 103, 99,
    ];

    /// <summary>Table K.2, chrominance, in natural order.</summary>
    public static ReadOnlySpan<byte> ChrominanceNatural =>
    [
        17, 18, 24, 47, 99, 99, 99, 99,
        18, 21, 26, 66, 99, 99, 99, 99,
        24, 26, 56, 99, 99, 99, 99, 99,
        47, 66, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
    ];

    /// <summary>
    /// Writes the luminance and chrominance tables for RFC 2435 factor <paramref name="q"/> (1..99) in zig-zag order,
    /// 64 bytes each: what a receiver must use when the Q field is below 128.
    /// </summary>
    public static void ForQuality(int q, Span<byte> luminance, Span<byte> chrominance)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(q, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 99);
        var factor = q < 50 ? 5000 / q : 200 - (q * 2);
        for (var k = 0; k < 64; k++)
        {
            var natural = ZigZagToNatural[k];
            luminance[k] = Scale(LuminanceNatural[natural], factor);
            chrominance[k] = Scale(ChrominanceNatural[natural], factor);
        }
    }

    private static byte Scale(int value, int factor) => (byte)Math.Clamp(((value * factor) + 50) / 100, 1, 255);
}
