using System.Security.Cryptography;
using System.Text;

namespace GrpcStream.Edge.Auth;

/// <summary>
/// A configured password: plain, or one of MediaMTX's hashes (<c>sha256:</c> and the base64 SHA-256;
/// <c>argon2:</c> and a PHC <c>$argon2id$...</c> string). Digest needs the plain password, since both ends hash
/// it with the nonce; a hashed one can only check what Basic sends.
/// </summary>
internal sealed class StoredPassword
{
    private readonly string _value;

    private StoredPassword(string value, PasswordKind kind)
    {
        _value = value;
        Kind = kind;
    }

    public PasswordKind Kind { get; }

    /// <summary>Whether checking a candidate costs real memory and time (argon2), so that it must be bounded and queued.</summary>
    public bool IsCostly => Kind == PasswordKind.Argon2;

    /// <summary>
    /// How much one check costs, to compare stored passwords: the kind first, then for argon2 its memory times its
    /// passes (from the PHC string's <c>m=</c> and <c>t=</c>).
    /// </summary>
    public (PasswordKind Kind, long Work) Cost => (Kind, Kind == PasswordKind.Argon2 ? Parameter("m") * Math.Max(1, Parameter("t")) : 0);

    private long Parameter(string name)
    {
        // $argon2id$v=19$m=65536,t=3,p=4$salt$hash
        foreach (var part in _value.Split('$'))
        {
            foreach (var pair in part.Split(','))
            {
                if (pair.StartsWith(name + "=", StringComparison.Ordinal)
                    && long.TryParse(pair.AsSpan(name.Length + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
                {
                    return value;
                }
            }
        }

        return 0;
    }

    /// <summary>A stored password no candidate matches, for checks that must cost what a real one costs.</summary>
    public static StoredPassword Unmatchable() => new(Convert.ToHexString(RandomNumberGenerator.GetBytes(32)), PasswordKind.Plain);

    /// <summary>The plain password, for Digest; null when only a hash is stored.</summary>
    public string? Plain => Kind == PasswordKind.Plain ? _value : null;

    /// <exception cref="FormatException">A hash prefix with a value that is not such a hash.</exception>
    public static StoredPassword Parse(string configured)
    {
        if (configured.StartsWith("sha256:", StringComparison.Ordinal))
        {
            var hash = configured["sha256:".Length..];
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            if (!Convert.TryFromBase64String(hash, digest, out var written) || written != digest.Length)
            {
                throw new FormatException("a sha256: password must be followed by the base64 of a SHA-256 hash");
            }

            return new StoredPassword(hash, PasswordKind.Sha256);
        }

        if (configured.StartsWith("argon2:", StringComparison.Ordinal))
        {
            var phc = configured["argon2:".Length..];
            if (!phc.StartsWith("$argon2", StringComparison.Ordinal))
            {
                throw new FormatException("an argon2: password must be followed by a PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash)");
            }

            return new StoredPassword(phc, PasswordKind.Argon2);
        }

        return new StoredPassword(configured, PasswordKind.Plain);
    }

    /// <summary>Whether <paramref name="candidate"/> (as Basic sent it) is this password; constant-time where it matters.</summary>
    public bool Verify(string candidate) => Kind switch
    {
        PasswordKind.Plain => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), Encoding.UTF8.GetBytes(_value)),
        PasswordKind.Sha256 => CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(candidate)), Convert.FromBase64String(_value)),
        _ => VerifyArgon2(candidate),
    };

    private bool VerifyArgon2(string candidate)
    {
        try
        {
            return Isopoh.Cryptography.Argon2.Argon2.Verify(_value, candidate);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            return false; // a malformed PHC string matches nothing
        }
    }
}

internal enum PasswordKind
{
    Plain,
    Sha256,
    Argon2,
}
