using System.Globalization;
using System.Text;

namespace GrpcStream.Rtsp.Headers;

public enum LowerTransport
{
    Udp,
    Tcp,
}

/// <summary>A pair of numbers written "a-b" (or one, "a"): UDP ports or interleaved channels.</summary>
public readonly record struct NumberRange(int First, int Second)
{
    public override string ToString() => First == Second ? First.ToString(CultureInfo.InvariantCulture) : $"{First}-{Second}";

    internal static NumberRange Parse(string header, string name, string text, int max)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var first = Number(header, name, dash < 0 ? text : text[..dash], max);
        var second = dash < 0 ? first : Number(header, name, text[(dash + 1)..], max);
        if (second < first)
        {
            throw new RtspHeaderException(header, $"{name}={text} is a descending range.");
        }

        return new NumberRange(first, second);
    }

    private static int Number(string header, string name, string text, int max)
    {
        text = text.Trim();
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > max)
        {
            throw new RtspHeaderException(header, $"{name} '{text}' is not a number from 0 to {max}.");
        }

        return value;
    }
}

/// <summary>
/// One transport alternative of a Transport header (RFC 2326 12.39), for example
/// <c>RTP/AVP/TCP;unicast;interleaved=0-1</c>. A client may offer several, comma-separated, in order of preference.
/// </summary>
public sealed record TransportSpec
{
    /// <summary>The transport protocol and profile as sent ("RTP/AVP"; the lab client sends "RTP/UDP").</summary>
    public string Profile { get; init; } = "RTP/AVP";

    public LowerTransport LowerTransport { get; init; } = LowerTransport.Udp;

    public bool IsMulticast { get; init; }

    public NumberRange? ClientPorts { get; init; }

    public NumberRange? ServerPorts { get; init; }

    public NumberRange? Interleaved { get; init; }

    public uint? Ssrc { get; init; }

    public string? Mode { get; init; }

    public string? Destination { get; init; }

    public string? Source { get; init; }

    public int? Ttl { get; init; }

    /// <summary>True for RTP/AVP (over UDP or TCP), the only profile standard players use.</summary>
    public bool IsRtpAvp => Profile is "RTP/AVP" or "RTP/AVP/UDP" or "RTP/AVP/TCP";

    public override string ToString()
    {
        var text = new StringBuilder(LowerTransport == LowerTransport.Tcp && Profile == "RTP/AVP" ? "RTP/AVP/TCP" : Profile);
        text.Append(IsMulticast ? ";multicast" : ";unicast");
        Append(text, "destination", Destination);
        Append(text, "source", Source);
        Append(text, "interleaved", Interleaved?.ToString());
        Append(text, "client_port", ClientPorts?.ToString());
        Append(text, "server_port", ServerPorts?.ToString());
        Append(text, "ttl", Ttl?.ToString(CultureInfo.InvariantCulture));
        Append(text, "ssrc", Ssrc?.ToString("X8", CultureInfo.InvariantCulture));
        Append(text, "mode", Mode is null ? null : $"\"{Mode}\"");
        return text.ToString();
    }

    private static void Append(StringBuilder text, string name, string? value)
    {
        if (value is not null)
        {
            text.Append(';').Append(name).Append('=').Append(value);
        }
    }
}

/// <summary>Parses and formats the Transport header.</summary>
public static class TransportHeader
{
    public const string Name = "Transport";

    /// <summary>The alternatives of a Transport header in the client's order of preference.</summary>
    /// <exception cref="RtspHeaderException">An alternative does not follow the grammar (a port out of range, say).</exception>
    public static IReadOnlyList<TransportSpec> Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var specs = new List<TransportSpec>();
        foreach (var alternative in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            specs.Add(ParseOne(alternative));
        }

        if (specs.Count == 0)
        {
            throw new RtspHeaderException(Name, "no transport given.");
        }

        return specs;
    }

    public static string Format(IEnumerable<TransportSpec> specs) => string.Join(',', specs);

    private static TransportSpec ParseOne(string text)
    {
        var parts = text.Split(';', StringSplitOptions.TrimEntries);
        var protocol = parts[0].ToUpperInvariant();
        var pieces = protocol.Split('/');
        if (pieces.Length is < 2 or > 3 || pieces[0] != "RTP" || pieces[1].Length == 0)
        {
            throw new RtspHeaderException(Name, $"'{parts[0]}' is not a transport protocol/profile.");
        }

        // RTP/AVP defaults to UDP; the lab client's RTP/UDP names the lower transport as the profile.
        var lower = (pieces.Length == 3 ? pieces[2] : pieces[1]) switch
        {
            "TCP" => LowerTransport.Tcp,
            "UDP" or "AVP" => LowerTransport.Udp,
            _ when pieces.Length == 2 => LowerTransport.Udp, // another profile (RTP/SAVP...): parsed, then refused by the server
            _ => throw new RtspHeaderException(Name, $"'{parts[0]}' has an unknown lower transport."),
        };

        var spec = new TransportSpec { Profile = protocol, LowerTransport = lower };
        foreach (var parameter in parts.Skip(1))
        {
            if (parameter.Length == 0)
            {
                continue;
            }

            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            var name = (equals < 0 ? parameter : parameter[..equals]).Trim().ToLowerInvariant();
            var argument = equals < 0 ? string.Empty : parameter[(equals + 1)..].Trim().Trim('"');
            spec = name switch
            {
                "unicast" => spec with { IsMulticast = false },
                "multicast" => spec with { IsMulticast = true },
                "client_port" => spec with { ClientPorts = NumberRange.Parse(Name, name, argument, 65535) },
                "server_port" => spec with { ServerPorts = NumberRange.Parse(Name, name, argument, 65535) },
                "port" => spec with { ClientPorts = NumberRange.Parse(Name, name, argument, 65535) },
                "interleaved" => spec with { Interleaved = NumberRange.Parse(Name, name, argument, 255) },
                "ssrc" => spec with { Ssrc = ParseSsrc(argument) },
                "mode" => spec with { Mode = argument.ToUpperInvariant() },
                "destination" => spec with { Destination = argument },
                "source" => spec with { Source = argument },
                "ttl" => spec with { Ttl = NumberRange.Parse(Name, name, argument, 255).First },
                _ => spec, // append, layers and extensions: not used, not an error
            };
        }

        return spec;
    }

    private static uint ParseSsrc(string text) =>
        uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var ssrc)
            ? ssrc
            : throw new RtspHeaderException(Name, $"ssrc '{text}' is not 8 hexadecimal digits.");
}
