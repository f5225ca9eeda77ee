using System.Security.Cryptography;
using System.Text;

namespace GrpcStream.Rtsp.Headers;

/// <summary>The hash functions of HTTP Digest authentication, as lowercase hex (RFC 7616 3.4).</summary>
public static class DigestHash
{
    /// <summary>The algorithms in order of preference.</summary>
    public static readonly IReadOnlyList<string> Algorithms = ["SHA-256", "MD5"];

    /// <exception cref="ArgumentException">An algorithm other than those in <see cref="Algorithms"/>.</exception>
    public static string Hex(string algorithm, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return algorithm switch
        {
            "SHA-256" => Convert.ToHexStringLower(SHA256.HashData(bytes)),
#pragma warning disable CA5351 // RFC 2617 Digest is defined with MD5, and most RTSP players offer nothing else.
            "MD5" => Convert.ToHexStringLower(MD5.HashData(bytes)),
#pragma warning restore CA5351
            _ => throw new ArgumentException($"no Digest algorithm {algorithm}", nameof(algorithm)),
        };
    }
}
