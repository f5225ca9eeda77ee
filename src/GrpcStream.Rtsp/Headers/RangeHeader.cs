using System.Globalization;

namespace GrpcStream.Rtsp.Headers;

/// <summary>
/// A Range header in normal play time (RFC 2326 3.6, 12.29): <c>npt=0-</c>, <c>npt=12.5-20</c>, <c>npt=now-</c>.
/// Other units (smpte, clock) are refused with <see cref="RtspHeaderException"/>, which a server answers with 457.
/// </summary>
public readonly record struct RangeHeader(double? Start, double? End, bool StartsNow = false)
{
    public const string Name = "Range";

    /// <summary>"npt=0.000-": from the start, open-ended.</summary>
    public static RangeHeader FromStart => new(0, null);

    /// <summary>"npt=now-": a live stream from the current moment.</summary>
    public static RangeHeader Live => new(null, null, StartsNow: true);

    public override string ToString()
    {
        var start = StartsNow ? "now" : Start?.ToString("0.000", CultureInfo.InvariantCulture) ?? string.Empty;
        var end = End?.ToString("0.000", CultureInfo.InvariantCulture) ?? string.Empty;
        return $"npt={start}-{end}";
    }

    public static RangeHeader Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = value.Split(';')[0].Trim();
        if (!text.StartsWith("npt=", StringComparison.OrdinalIgnoreCase))
        {
            throw new RtspHeaderException(Name, $"only npt ranges are supported, not '{text}'.");
        }

        var span = text[4..];
        var dash = span.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            throw new RtspHeaderException(Name, $"'{text}' has no '-'.");
        }

        var startText = span[..dash].Trim();
        var endText = span[(dash + 1)..].Trim();
        var now = startText.Equals("now", StringComparison.OrdinalIgnoreCase);
        var start = now || startText.Length == 0 ? (double?)null : Seconds(startText);
        var end = endText.Length == 0 ? (double?)null : Seconds(endText);
        if (start is null && end is null && !now)
        {
            throw new RtspHeaderException(Name, $"'{text}' gives neither start nor end.");
        }

        if (start > end)
        {
            throw new RtspHeaderException(Name, $"'{text}' ends before it starts.");
        }

        return new RangeHeader(start, end, now);
    }

    /// <summary>npt-sec ("12.5") or npt-hhmmss ("0:01:02.5").</summary>
    private static double Seconds(string text)
    {
        var parts = text.Split(':');
        double total = 0;
        foreach (var part in parts)
        {
            if (!double.TryParse(part, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || parts.Length > 3)
            {
                throw new RtspHeaderException(Name, $"'{text}' is not a time.");
            }

            total = (total * 60) + value;
        }

        return total;
    }
}
