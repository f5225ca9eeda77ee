using System.Collections.Concurrent;
using System.Net;

namespace GrpcStream.Edge.Auth;

/// <summary>
/// Failed logins per client address. Each failure doubles how long the next failed answer is held back (from
/// 100 ms up to the configured maximum), so guessing passwords is slow, while a player that gets it right on the
/// first try is never delayed. An address is forgiven after a success or ten quiet minutes.
/// </summary>
internal sealed class FailedAttempts(TimeProvider time, TimeSpan maxDelay)
{
    /// <summary>Addresses remembered at once; past it the table starts again (bounded memory under a spray of sources).</summary>
    public const int MaxAddresses = 10_000;

    private static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    private readonly ConcurrentDictionary<IPAddress, (int Count, long Last)> _failures = new();

    /// <summary>Records a failure from <paramref name="address"/>; returns how long to hold back its answer.</summary>
    public TimeSpan Failed(IPAddress address)
    {
        if (_failures.Count >= MaxAddresses)
        {
            _failures.Clear();
        }

        var now = time.GetTimestamp();
        var (count, _) = _failures.AddOrUpdate(
            address,
            _ => (1, now),
            (_, previous) => (time.GetElapsedTime(previous.Last, now) > ForgetAfter ? 1 : Math.Min(previous.Count + 1, 30), now));
        var delay = FirstDelay * Math.Pow(2, count - 1);
        return delay < maxDelay ? delay : maxDelay;
    }

    public void Succeeded(IPAddress address) => _failures.TryRemove(address, out _);

    /// <summary>How long the answer to <paramref name="address"/>'s next failure will be held back (zero for an address with none).</summary>
    public TimeSpan NextDelay(IPAddress address)
    {
        if (!_failures.TryGetValue(address, out var last) || time.GetElapsedTime(last.Last) > ForgetAfter)
        {
            return TimeSpan.Zero;
        }

        var delay = FirstDelay * Math.Pow(2, last.Count);
        return delay < maxDelay ? delay : maxDelay;
    }
}
