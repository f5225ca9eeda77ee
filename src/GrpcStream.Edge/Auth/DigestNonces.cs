using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace GrpcStream.Edge.Auth;

/// <summary>
/// Digest nonces: issue time, 8 random bytes and an HMAC over both with a key made at start-up, so a nonce is
/// unpredictable, bound to this server process, and carries its own expiry (nothing stored per challenge). Replay
/// is refused through the nonce count where the client uses <c>qop</c>; without it (GStreamer, live555) a nonce
/// may be used again until it expires, which those players rely on.
/// </summary>
internal sealed class DigestNonces(TimeProvider time, TimeSpan lifetime)
{
    /// <summary>Nonces whose counts are remembered at once; past it, expired ones are forgotten first.</summary>
    public const int MaxTracked = 100_000;

    private const int TimeBytes = 8;
    private const int RandomBytes = 8;
    private const int MacBytes = 16;
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public string Issue()
    {
        Span<byte> nonce = stackalloc byte[TimeBytes + RandomBytes + MacBytes];
        BinaryPrimitives.WriteInt64BigEndian(nonce, time.GetUtcNow().ToUnixTimeMilliseconds());
        RandomNumberGenerator.Fill(nonce.Slice(TimeBytes, RandomBytes));
        Mac(nonce[..(TimeBytes + RandomBytes)], nonce[(TimeBytes + RandomBytes)..]);
        return Convert.ToHexStringLower(nonce);
    }

    /// <summary>Whether <paramref name="nonce"/> is one of ours and still fresh.</summary>
    public NonceState Check(string nonce)
    {
        Span<byte> bytes = stackalloc byte[TimeBytes + RandomBytes + MacBytes];
        if (nonce.Length != bytes.Length * 2 || Convert.FromHexString(nonce, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != bytes.Length)
        {
            return NonceState.Invalid;
        }

        Span<byte> expected = stackalloc byte[MacBytes];
        Mac(bytes[..(TimeBytes + RandomBytes)], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes[(TimeBytes + RandomBytes)..]))
        {
            return NonceState.Invalid;
        }

        return Age(bytes) > lifetime ? NonceState.Stale : NonceState.Fresh;
    }

    /// <summary>Takes a nonce count (qop) for a fresh nonce: true only when it is above every count seen with it.</summary>
    public bool TakeCount(string nonce, long count)
    {
        if (_counts.Count >= MaxTracked)
        {
            foreach (var key in _counts.Keys)
            {
                if (Check(key) != NonceState.Fresh)
                {
                    _counts.TryRemove(key, out _);
                }
            }

            if (_counts.Count >= MaxTracked)
            {
                return false; // the client gets a new nonce and tries again
            }
        }

        while (true)
        {
            if (!_counts.TryGetValue(nonce, out var last))
            {
                if (_counts.TryAdd(nonce, count))
                {
                    return true;
                }

                continue;
            }

            if (count <= last)
            {
                return false;
            }

            if (_counts.TryUpdate(nonce, count, last))
            {
                return true;
            }
        }
    }

    private TimeSpan Age(ReadOnlySpan<byte> nonce) =>
        time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(nonce));

    private void Mac(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, data, full);
        full[..destination.Length].CopyTo(destination);
    }
}

internal enum NonceState
{
    Invalid,
    Stale,
    Fresh,
}
