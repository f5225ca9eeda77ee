using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GrpcStream.Rtsp.Headers;

namespace GrpcStream.Rtsp.Client;

/// <summary>
/// Answers RTSP authentication challenges: Basic, and Digest (RFC 7616, RFC 2617) with SHA-256 or MD5 and qop
/// "auth" or none. Credentials come from the URL's user information.
/// </summary>
internal sealed class DigestAuthenticator(string? userName, string? password)
{
    private string? _scheme;
    private string? _realm;
    private string _algorithm = "MD5";
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

        var challenges = headers.Select(h => AuthHeader.TryParse(h, out var parsed) ? parsed : null).OfType<AuthHeader>().ToList();

        // SHA-256 where offered (RFC 7616), MD5 otherwise.
        var digest = challenges.FirstOrDefault(c => c.IsScheme("Digest") && c["nonce"] is not null && AlgorithmOf(c) == "SHA-256")
            ?? challenges.FirstOrDefault(c => c.IsScheme("Digest") && c["nonce"] is not null && AlgorithmOf(c) == "MD5");
        if (digest is not null)
        {
            _scheme = "Digest";
            _algorithm = AlgorithmOf(digest)!;
            _realm = digest["realm"] ?? string.Empty;
            _nonce = digest["nonce"];
            _opaque = digest["opaque"];
            _qop = digest["qop"] is { } qop && qop.Split(',').Any(q => q.Trim() == "auth") ? "auth" : null;
            _nonceCount = 0;
            return true;
        }

        if (challenges.Any(c => c.IsScheme("Basic")))
        {
            _scheme = "Basic";
            return true;
        }

        return false;
    }

    private static string? AlgorithmOf(AuthHeader challenge) => challenge["algorithm"]?.ToUpperInvariant() switch
    {
        null or "MD5" => "MD5",
        "SHA-256" => "SHA-256",
        _ => null,
    };

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

        var ha1 = Hash($"{userName}:{_realm}:{password}");
        var ha2 = Hash($"{method}:{uri}");
        var header = new StringBuilder($"Digest username=\"{userName}\", realm=\"{_realm}\", nonce=\"{_nonce}\", uri=\"{uri}\"");
        if (_algorithm != "MD5")
        {
            header.Append($", algorithm={_algorithm}");
        }

        string response;
        if (_qop is not null)
        {
            var nc = (++_nonceCount).ToString("x8", CultureInfo.InvariantCulture);
            var cnonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            response = Hash($"{ha1}:{_nonce}:{nc}:{cnonce}:{_qop}:{ha2}");
            header.Append($", qop={_qop}, nc={nc}, cnonce=\"{cnonce}\"");
        }
        else
        {
            response = Hash($"{ha1}:{_nonce}:{ha2}");
        }

        header.Append($", response=\"{response}\"");
        if (_opaque is not null)
        {
            header.Append($", opaque=\"{_opaque}\"");
        }

        return header.ToString();
    }

    private string Hash(string text) => DigestHash.Hex(_algorithm, text);
}
