using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GrpcStream.Rtsp.Client;

/// <summary>
/// Answers RTSP authentication challenges (RFC 2617, as RTSP servers use it): Basic, and Digest with MD5 and
/// qop "auth" or none. Credentials come from the URL's user information.
/// </summary>
internal sealed class DigestAuthenticator(string? userName, string? password)
{
    private string? _scheme;
    private string? _realm;
    private string? _nonce;
    private string? _opaque;
    private string? _qop;
    private int _nonceCount;
    private int _challenges;

    public bool CanAnswer => userName is not null;

    /// <summary>The scheme answered with: "Digest", "Basic", or null before a challenge was taken.</summary>
    public string? Scheme => _scheme;

    /// <summary>
    /// Takes the WWW-Authenticate headers of a 401; false when there is nothing new to try (so a wrong password
    /// fails once, not forever). Of several challenges Digest is taken: a server, or someone in the middle, that
    /// also offers Basic must not get the password in clear when Digest would do.
    /// </summary>
    public bool Challenge(IReadOnlyList<string> headers)
    {
        if (headers.Count == 0 || ++_challenges > 2)
        {
            return false;
        }

        foreach (var header in headers)
        {
            if (TryDigest(header))
            {
                return true;
            }
        }

        if (headers.Any(h => SchemeOf(h).Equals("Basic", StringComparison.OrdinalIgnoreCase)))
        {
            _scheme = "Basic";
            return true;
        }

        return false;
    }

    private static string SchemeOf(string header)
    {
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? header : header[..space];
    }

    private bool TryDigest(string header)
    {
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        var parameters = Parameters(space < 0 ? string.Empty : header[(space + 1)..]);
        if (!SchemeOf(header).Equals("Digest", StringComparison.OrdinalIgnoreCase) || !parameters.TryGetValue("nonce", out var nonce))
        {
            return false;
        }

        if (parameters.TryGetValue("algorithm", out var algorithm) && !algorithm.Equals("MD5", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        _scheme = "Digest";
        _realm = parameters.GetValueOrDefault("realm", string.Empty);
        _nonce = nonce;
        _opaque = parameters.GetValueOrDefault("opaque");
        _qop = parameters.TryGetValue("qop", out var qop) && qop.Split(',').Any(q => q.Trim() == "auth") ? "auth" : null;
        _nonceCount = 0;
        return true;
    }

    public string? Authorization(string method, string uri)
    {
        if (_scheme == "Basic")
        {
            return "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{userName}:{password}"));
        }

        if (_scheme != "Digest")
        {
            return null;
        }

        var ha1 = Md5($"{userName}:{_realm}:{password}");
        var ha2 = Md5($"{method}:{uri}");
        var header = new StringBuilder($"Digest username=\"{userName}\", realm=\"{_realm}\", nonce=\"{_nonce}\", uri=\"{uri}\"");
        string response;
        if (_qop is not null)
        {
            var nc = (++_nonceCount).ToString("x8", CultureInfo.InvariantCulture);
            var cnonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            response = Md5($"{ha1}:{_nonce}:{nc}:{cnonce}:{_qop}:{ha2}");
            header.Append($", qop={_qop}, nc={nc}, cnonce=\"{cnonce}\"");
        }
        else
        {
            response = Md5($"{ha1}:{_nonce}:{ha2}");
        }

        header.Append($", response=\"{response}\"");
        if (_opaque is not null)
        {
            header.Append($", opaque=\"{_opaque}\"");
        }

        return header.ToString();
    }

#pragma warning disable CA5351 // RFC 2617 Digest is defined with MD5; servers offer nothing else.
    private static string Md5(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));
#pragma warning restore CA5351

    private static Dictionary<string, string> Parameters(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var at = 0;
        while (at < text.Length)
        {
            var equals = text.IndexOf('=', at);
            if (equals < 0)
            {
                break;
            }

            var name = text[at..equals].Trim().TrimStart(',').Trim();
            string value;
            if (equals + 1 < text.Length && text[equals + 1] == '"')
            {
                var close = text.IndexOf('"', equals + 2);
                close = close < 0 ? text.Length : close;
                value = text[(equals + 2)..close];
                at = close + 1;
            }
            else
            {
                var comma = text.IndexOf(',', equals);
                comma = comma < 0 ? text.Length : comma;
                value = text[(equals + 1)..comma].Trim();
                at = comma;
            }

            result[name] = value;
            at = text.IndexOf(',', at) is var next and >= 0 ? next + 1 : text.Length;
        }

        return result;
    }
}
