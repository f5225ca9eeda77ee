using System.Text;

namespace GrpcStream.Rtsp.Headers;

/// <summary>
/// An Authorization or WWW-Authenticate header value (RFC 7235 2.1): a scheme, then either one token (Basic's
/// credentials) or comma-separated <c>name=value</c> / <c>name="quoted value"</c> parameters (Digest).
/// </summary>
public sealed record AuthHeader(string Scheme, string? Token, IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>More parameters than any scheme defines: a header with more is refused rather than read.</summary>
    public const int MaxParameters = 32;

    public string? this[string name] => Parameters.TryGetValue(name, out var value) ? value : null;

    public bool IsScheme(string scheme) => Scheme.Equals(scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads a header value; false (never an exception) when it is not well formed.</summary>
    public static bool TryParse(string value, out AuthHeader header)
    {
        header = null!;
        var text = value.AsSpan().Trim();
        var space = text.IndexOf(' ');
        var scheme = space < 0 ? text : text[..space];
        if (scheme.IsEmpty || !IsToken(scheme))
        {
            return false;
        }

        var rest = space < 0 ? [] : text[(space + 1)..].Trim();
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (rest.IndexOf('=') < 0 || IsToken68(rest))
        {
            // token68 (Basic's base64 ends in '=' padding, which is why this is tried first).
            header = new AuthHeader(scheme.ToString(), rest.IsEmpty ? null : rest.ToString(), parameters);
            return rest.IsEmpty || IsToken68(rest);
        }

        while (!rest.IsEmpty)
        {
            var equals = rest.IndexOf('=');
            if (equals <= 0 || parameters.Count == MaxParameters)
            {
                return false;
            }

            var name = rest[..equals].Trim();
            if (!IsToken(name))
            {
                return false;
            }

            rest = rest[(equals + 1)..].TrimStart();
            string parsed;
            if (!rest.IsEmpty && rest[0] == '"')
            {
                var quoted = new StringBuilder();
                var at = 1;
                for (; at < rest.Length && rest[at] != '"'; at++)
                {
                    if (rest[at] == '\\' && at + 1 < rest.Length)
                    {
                        at++;
                    }

                    quoted.Append(rest[at]);
                }

                if (at >= rest.Length)
                {
                    return false; // no closing quote
                }

                parsed = quoted.ToString();
                rest = rest[(at + 1)..].TrimStart();
            }
            else
            {
                var end = rest.IndexOf(',');
                var token = (end < 0 ? rest : rest[..end]).Trim();
                if (!IsToken(token))
                {
                    return false;
                }

                parsed = token.ToString();
                rest = end < 0 ? [] : rest[end..];
            }

            if (!parameters.TryAdd(name.ToString(), parsed))
            {
                return false; // a parameter given twice: which one would count?
            }

            if (!rest.IsEmpty)
            {
                if (rest[0] != ',')
                {
                    return false;
                }

                rest = rest[1..].TrimStart();
            }
        }

        header = new AuthHeader(scheme.ToString(), null, parameters);
        return true;
    }

    private static bool IsToken(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c <= ' ' || c >= 0x7F || "()<>@,;:\\\"/[]?={}".Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return !text.IsEmpty;
    }

    private static bool IsToken68(ReadOnlySpan<char> text)
    {
        var padding = text.Length;
        while (padding > 0 && text[padding - 1] == '=')
        {
            padding--;
        }

        if (padding == 0)
        {
            return false;
        }

        foreach (var c in text[..padding])
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '/'))
            {
                return false;
            }
        }

        return true;
    }
}
