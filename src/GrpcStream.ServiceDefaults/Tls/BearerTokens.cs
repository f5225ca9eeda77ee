using System.Security.Cryptography;
using System.Text;

namespace GrpcStream.ServiceDefaults.Tls;

/// <summary>
/// A set of accepted bearer tokens, checked against an <c>authorization</c> header. Every token is compared, in
/// constant time, so how long a check takes says nothing about which token is near.
/// </summary>
public sealed class BearerTokens(IEnumerable<string> tokens)
{
    private readonly byte[][] _tokens = tokens.Where(t => t.Length > 0).Select(Encoding.UTF8.GetBytes).ToArray();

    public bool Any => _tokens.Length > 0;

    /// <summary>Null when <paramref name="authorization"/> carries an accepted token; otherwise why not.</summary>
    public string? Refusal(string? authorization, string setting)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return $"a bearer token is required ({setting})";
        }

        var presented = Encoding.UTF8.GetBytes(authorization["Bearer ".Length..].Trim());
        var match = false;
        foreach (var token in _tokens)
        {
            match |= CryptographicOperations.FixedTimeEquals(presented, token);
        }

        return match ? null : "the bearer token is not accepted";
    }
}
