using System.Globalization;
using System.Text;

namespace GrpcStream.Rtsp.Sdp;

/// <summary>An SDP attribute line: <c>a=name</c> or <c>a=name:value</c>.</summary>
public readonly record struct SdpAttribute(string Name, string? Value)
{
    public override string ToString() => Value is null ? $"a={Name}" : $"a={Name}:{Value}";
}

/// <summary>
/// A session description (RFC 4566): session-level lines and media sections. <see cref="Parse"/> is lenient in
/// what real servers send (LF or CRLF, unknown or malformed lines are skipped); <see cref="ToString"/> writes the
/// lines in the order the RFC requires, with CRLF.
/// </summary>
public sealed class SessionDescription
{
    public int Version { get; set; }

    public string Origin { get; set; } = "- 0 0 IN IP4 0.0.0.0";

    public string SessionName { get; set; } = "-";

    public string? Information { get; set; }

    public string? Connection { get; set; }

    public List<string> Times { get; } = [];

    public List<SdpAttribute> Attributes { get; } = [];

    public List<MediaDescription> Media { get; } = [];

    public string? GetAttribute(string name) => Find(Attributes, name);

    /// <summary>The session-level control URL ("*" or absolute), or null.</summary>
    public string? Control => GetAttribute("control");

    public static SessionDescription Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var description = new SessionDescription();
        MediaDescription? media = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r', ' ', '\t');
            if (line.Length < 2 || line[1] != '=')
            {
                continue;
            }

            var value = line[2..];
            switch (line[0])
            {
                case 'v':
                    description.Version = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : 0;
                    break;
                case 'o' when media is null:
                    description.Origin = value;
                    break;
                case 's' when media is null:
                    description.SessionName = value;
                    break;
                case 'i' when media is null:
                    description.Information = value;
                    break;
                case 'c' when media is null:
                    description.Connection = value;
                    break;
                case 'c':
                    media!.Connection = value;
                    break;
                case 't':
                    description.Times.Add(value);
                    break;
                case 'm':
                    media = MediaDescription.TryParseMediaLine(value);
                    if (media is not null)
                    {
                        description.Media.Add(media);
                    }

                    break;
                case 'a':
                    (media?.Attributes ?? description.Attributes).Add(ParseAttribute(value));
                    break;
                default:
                    // b=, k=, r=, z=, u=, e=, p= and unknown letters carry nothing this project uses.
                    break;
            }
        }

        return description;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        Line(text, 'v', Version.ToString(CultureInfo.InvariantCulture));
        Line(text, 'o', Origin);
        Line(text, 's', SessionName);
        if (Information is not null)
        {
            Line(text, 'i', Information);
        }

        if (Connection is not null)
        {
            Line(text, 'c', Connection);
        }

        foreach (var time in Times.Count == 0 ? ["0 0"] : Times)
        {
            Line(text, 't', time);
        }

        foreach (var attribute in Attributes)
        {
            text.Append(attribute).Append("\r\n");
        }

        foreach (var media in Media)
        {
            media.AppendTo(text);
        }

        return text.ToString();
    }

    internal static void Line(StringBuilder text, char type, string value) => text.Append(type).Append('=').Append(value).Append("\r\n");

    internal static string? Find(List<SdpAttribute> attributes, string name) =>
        attributes.FirstOrDefault(a => a.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { Name: not null } found ? found.Value ?? string.Empty : null;

    private static SdpAttribute ParseAttribute(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? new SdpAttribute(value.Trim(), null) : new SdpAttribute(value[..colon].Trim(), value[(colon + 1)..].Trim());
    }
}

/// <summary>One media section: <c>m=video 0 RTP/AVP 26</c> and its lines.</summary>
public sealed class MediaDescription
{
    public string Media { get; set; } = "video";

    public int Port { get; set; }

    public string Protocol { get; set; } = "RTP/AVP";

    public List<string> Formats { get; } = [];

    public string? Connection { get; set; }

    public List<SdpAttribute> Attributes { get; } = [];

    public string? GetAttribute(string name) => SessionDescription.Find(Attributes, name);

    public string? Control => GetAttribute("control");

    /// <summary>The first payload type the section offers.</summary>
    public int? PayloadType => Formats.Count > 0 && int.TryParse(Formats[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pt) ? pt : null;

    /// <summary>Encoding name and clock rate from <c>a=rtpmap</c> for <paramref name="payloadType"/>; static types fall back to RFC 3551 (26 = JPEG/90000).</summary>
    public (string Encoding, int ClockRate)? RtpMap(int payloadType)
    {
        var prefix = payloadType.ToString(CultureInfo.InvariantCulture) + " ";
        foreach (var attribute in Attributes)
        {
            if (attribute.Name.Equals("rtpmap", StringComparison.OrdinalIgnoreCase) && attribute.Value?.StartsWith(prefix, StringComparison.Ordinal) == true)
            {
                var parts = attribute.Value[prefix.Length..].Trim().Split('/');
                if (parts.Length >= 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var rate))
                {
                    return (parts[0], rate);
                }
            }
        }

        return payloadType == 26 ? ("JPEG", 90_000) : null;
    }

    /// <summary><c>a=framerate</c>, if given.</summary>
    public double? FrameRate =>
        double.TryParse(GetAttribute("framerate"), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate) ? rate : null;

    /// <summary>The picture size from <c>a=x-dimensions:W,H</c> (or <c>a=framesize:PT W-H</c>), if given.</summary>
    public (int Width, int Height)? Dimensions
    {
        get
        {
            if (GetAttribute("x-dimensions") is { } dimensions && TryPair(dimensions, ',', out var size))
            {
                return size;
            }

            if (GetAttribute("framesize") is { } framesize && framesize.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var pair] && TryPair(pair, '-', out size))
            {
                return size;
            }

            return null;
        }
    }

    internal static MediaDescription? TryParseMediaLine(string value)
    {
        var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3)
        {
            return null;
        }

        var media = new MediaDescription
        {
            Media = parts[0],
            Port = int.TryParse(parts[1].Split('/')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : 0,
            Protocol = parts[2],
        };
        media.Formats.AddRange(parts.Skip(3));
        return media;
    }

    internal void AppendTo(StringBuilder text)
    {
        SessionDescription.Line(text, 'm', $"{Media} {Port.ToString(CultureInfo.InvariantCulture)} {Protocol} {string.Join(' ', Formats)}");
        if (Connection is not null)
        {
            SessionDescription.Line(text, 'c', Connection);
        }

        foreach (var attribute in Attributes)
        {
            text.Append(attribute).Append("\r\n");
        }
    }

    private static bool TryPair(string text, char separator, out (int, int) pair)
    {
        var parts = text.Split(separator, StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var a)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var b))
        {
            pair = (a, b);
            return true;
        }

        pair = default;
        return false;
    }
}
