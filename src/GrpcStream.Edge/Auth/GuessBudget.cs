using System.Net;
using GrpcStream.Edge.Settings;
using GrpcStream.Shared.Net;

namespace GrpcStream.Edge.Auth;

/// <summary>Why a login was refused before its credentials were looked at.</summary>
internal enum GuessRefusal
{
    None,

    /// <summary>The client address has used its failures (<see cref="AuthSettings.FailuresPerAddress"/>).</summary>
    Address,

    /// <summary>The user name has used its failures, from every address together (<see cref="AuthSettings.FailuresPerUser"/>).</summary>
    User,
}

/// <summary>
/// How many failed logins a client address and a user name may still have: a token bucket each, holding a burst
/// of failures that refills evenly over <see cref="AuthSettings.FailureWindow"/>, shared by RTSP, RTSPS, HTTP and
/// HTTPS. A login takes a token from both buckets before its credentials are checked and gives them back when they
/// are right, so a guess costs a token whatever it is checked by (Basic, Digest, the hook), however many
/// connections carry the guesses, and concurrent guesses cannot overdraw it. With a bucket empty the login is
/// refused unchecked. Unknown names get buckets too, so that a refusal tells nothing about which names exist.
/// </summary>
internal sealed class GuessBudget
{
    /// <summary>Addresses, and names, with a bucket of their own; past it, new ones share one bucket (bounded memory under a spray).</summary>
    public const int MaxKeys = 10_000;

    private readonly TimeProvider _time;
    private readonly Buckets<IPAddress> _addresses;
    private readonly Buckets<string> _users;

    public GuessBudget(AuthSettings settings, TimeProvider time)
    {
        _time = time;
        _addresses = new(settings.FailuresPerAddress, settings.FailureWindow, IPAddress.None);
        _users = new(settings.FailuresPerUser, settings.FailureWindow, "\0");
    }

    /// <summary>
    /// Takes a failure's worth from <paramref name="address"/>'s and <paramref name="user"/>'s budgets; when either
    /// is spent, takes nothing and says which, and how long until it has room again.
    /// </summary>
    public GuessRefusal TryTake(IPAddress address, string user, out TimeSpan retryAfter)
    {
        address = PlainAddress.Of(address);
        user = NameKey(user);
        var now = _time.GetTimestamp();
        if (!_addresses.TryTake(address, now, _time, out retryAfter))
        {
            return GuessRefusal.Address;
        }

        if (!_users.TryTake(user, now, _time, out retryAfter))
        {
            _addresses.Give(address);
            return GuessRefusal.User;
        }

        return GuessRefusal.None;
    }

    /// <summary>Gives back what <see cref="TryTake"/> took: the credentials were right, or were never checked.</summary>
    public void GiveBack(IPAddress address, string user)
    {
        _addresses.Give(PlainAddress.Of(address));
        _users.Give(NameKey(user));
    }

    // A name as a client sent it may be kilobytes long; a long one is kept as its hash, so the table stays small.
    private static string NameKey(string name) =>
        name.Length <= 64 ? name : Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)));

    /// <summary>A token bucket per key; a capacity of 0 turns the limit off.</summary>
    private sealed class Buckets<TKey>(int capacity, TimeSpan window, TKey overflow)
        where TKey : notnull
    {
        private readonly Dictionary<TKey, Bucket> _buckets = [];

        public bool TryTake(TKey key, long now, TimeProvider time, out TimeSpan retryAfter)
        {
            retryAfter = TimeSpan.Zero;
            if (capacity == 0)
            {
                return true;
            }

            lock (_buckets)
            {
                var bucket = Find(key, now, time);
                bucket.Refill(now, time, capacity, window);
                if (bucket.Tokens < 1)
                {
                    retryAfter = window * ((1 - bucket.Tokens) / capacity);
                    return false;
                }

                bucket.Tokens--;
                return true;
            }
        }

        public void Give(TKey key)
        {
            if (capacity == 0)
            {
                return;
            }

            lock (_buckets)
            {
                if (_buckets.TryGetValue(key, out var bucket) || _buckets.TryGetValue(overflow, out bucket))
                {
                    bucket.Tokens = Math.Min(capacity, bucket.Tokens + 1);
                }
            }
        }

        private Bucket Find(TKey key, long now, TimeProvider time)
        {
            if (_buckets.TryGetValue(key, out var bucket))
            {
                return bucket;
            }

            if (_buckets.Count >= MaxKeys)
            {
                // A full bucket says nothing a new one would not: forget those first.
                foreach (var (full, _) in _buckets.Where(b => b.Value.IsFull(now, time, capacity, window)).ToList())
                {
                    _buckets.Remove(full);
                }

                if (_buckets.Count >= MaxKeys)
                {
                    key = overflow;
                    if (_buckets.TryGetValue(key, out bucket))
                    {
                        return bucket;
                    }
                }
            }

            bucket = new Bucket { Tokens = capacity, Updated = now };
            _buckets[key] = bucket;
            return bucket;
        }
    }

    private sealed class Bucket
    {
        public double Tokens { get; set; }

        public long Updated { get; set; }

        public void Refill(long now, TimeProvider time, int capacity, TimeSpan window)
        {
            Tokens = Math.Min(capacity, Tokens + (capacity * (time.GetElapsedTime(Updated, now) / window)));
            Updated = now;
        }

        public bool IsFull(long now, TimeProvider time, int capacity, TimeSpan window) =>
            Tokens + (capacity * (time.GetElapsedTime(Updated, now) / window)) >= capacity;
    }
}
