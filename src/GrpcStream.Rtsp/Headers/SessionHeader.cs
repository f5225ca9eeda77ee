using System.Globalization;

namespace GrpcStream.Rtsp.Headers;

/// <summary>The Session header (RFC 2326 12.37): an opaque id and, from servers, the timeout in seconds.</summary>
public readonly record struct SessionHeader(string Id, int? TimeoutSeconds = null)
{
    public const string Name = "Session";

    public override string ToString() => TimeoutSeconds is { } timeout ? $"{Id};timeout={timeout.ToString(CultureInfo.InvariantCulture)}" : Id;

    public static SessionHeader Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = value.Split(';', StringSplitOptions.TrimEntries);
        var id = parts[0];
        if (id.Length == 0 || id.Any(c => c <= ' ' || c >= 0x7F))
        {
            throw new RtspHeaderException(Name, "the session id is empty or not printable.");
        }

        int? timeout = null;
        foreach (var parameter in parts.Skip(1))
        {
            if (parameter.StartsWith("timeout=", StringComparison.OrdinalIgnoreCase))
            {
                timeout = int.TryParse(parameter.AsSpan(8), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                    ? seconds
                    : throw new RtspHeaderException(Name, $"'{parameter}' is not a timeout in seconds.");
            }
        }

        return new SessionHeader(id, timeout);
    }
}
