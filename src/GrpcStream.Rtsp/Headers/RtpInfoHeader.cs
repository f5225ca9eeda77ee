using System.Globalization;

namespace GrpcStream.Rtsp.Headers;

/// <summary>One stream's entry of an RTP-Info header (RFC 2326 12.33): where its RTP numbering starts after PLAY.</summary>
public readonly record struct RtpInfoEntry(string Url, ushort? Sequence, uint? RtpTime)
{
    public override string ToString()
    {
        var text = "url=" + Url;
        if (Sequence is { } seq)
        {
            text += ";seq=" + seq.ToString(CultureInfo.InvariantCulture);
        }

        if (RtpTime is { } time)
        {
            text += ";rtptime=" + time.ToString(CultureInfo.InvariantCulture);
        }

        return text;
    }
}

public static class RtpInfoHeader
{
    public const string Name = "RTP-Info";

    public static string Format(IEnumerable<RtpInfoEntry> entries) => string.Join(',', entries);

    public static IReadOnlyList<RtpInfoEntry> Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var entries = new List<RtpInfoEntry>();

        // URLs may contain commas and semicolons only in theory; split on ",url=" boundaries to be safe.
        foreach (var item in SplitEntries(value))
        {
            string? url = null;
            ushort? seq = null;
            uint? time = null;
            foreach (var parameter in item.Split(';', StringSplitOptions.TrimEntries))
            {
                var equals = parameter.IndexOf('=', StringComparison.Ordinal);
                if (equals < 0)
                {
                    continue;
                }

                var name = parameter[..equals].Trim();
                var argument = parameter[(equals + 1)..].Trim();
                if (name.Equals("url", StringComparison.OrdinalIgnoreCase))
                {
                    url = argument;
                }
                else if (name.Equals("seq", StringComparison.OrdinalIgnoreCase))
                {
                    seq = ushort.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : throw new RtspHeaderException(Name, $"seq '{argument}' is not a 16-bit number.");
                }
                else if (name.Equals("rtptime", StringComparison.OrdinalIgnoreCase))
                {
                    time = uint.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : throw new RtspHeaderException(Name, $"rtptime '{argument}' is not a 32-bit number.");
                }
            }

            entries.Add(new RtpInfoEntry(url ?? throw new RtspHeaderException(Name, "an entry has no url."), seq, time));
        }

        return entries;
    }

    private static IEnumerable<string> SplitEntries(string value)
    {
        var start = 0;
        while (start < value.Length)
        {
            var next = value.IndexOf(",url=", start + 1, StringComparison.OrdinalIgnoreCase);
            var end = next < 0 ? value.Length : next;
            var item = value[start..end].Trim().TrimStart(',').Trim();
            if (item.Length > 0)
            {
                yield return item;
            }

            start = end;
        }
    }
}
