using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using GrpcStream.Edge.Settings;
using GrpcStream.Shared.Net;

namespace GrpcStream.Edge.Auth;

/// <summary>What checking a password came to.</summary>
internal enum Verification
{
    Right,
    Wrong,

    /// <summary>Not checked: the verifier had as much queued as it takes, or that address had its share running.</summary>
    Busy,
}

/// <summary>
/// Checks Basic passwords against the configured users, so that costly hashes cannot be turned against the edge.
/// An argon2 check takes its configured memory (64 MiB for MediaMTX's defaults) and a third of a second: at most
/// <see cref="AuthSettings.MaxVerifications"/> run at once, at most <see cref="AuthSettings.MaxQueuedVerifications"/>
/// wait, and one address has at most <see cref="AuthSettings.MaxVerificationsPerAddress"/> of them; past that a
/// password is refused unchecked (<see cref="Verification.Busy"/>). The same credentials asked about while their
/// check runs wait for that check; right ones are remembered for <see cref="AuthSettings.VerifiedCacheTime"/> (as a
/// keyed hash, never the password), so a browser's Basic header on every image costs one check.
/// </summary>
/// <remarks>
/// An address's turn lasts past a wrong answer for as long as its next failure delay: someone guessing from one
/// address over many connections keeps a core busy for a fraction of the time, not all of it, so a check for
/// anyone else seldom shares the machine with one of theirs.
/// A wrong password costs what the costliest configured check costs, whoever it names: an unknown name is checked
/// against the costliest stored password (its answer ignored), and a wrong cheap password is followed by that same
/// check. The time of a refusal therefore says nothing about which names exist.
/// </remarks>
internal sealed class PasswordVerifier : IDisposable
{
    /// <summary>Right credentials remembered at once; past it they are forgotten together (costing only checks again).</summary>
    public const int MaxRemembered = 10_000;

    private readonly SemaphoreSlim _slots;
    private readonly int _maxAdmitted;
    private readonly AddressCounts _perAddress;
    private readonly StoredPassword _costliest;
    private readonly TimeSpan _rememberFor;
    private readonly TimeProvider _time;
    private readonly Func<IPAddress, TimeSpan> _cooldown;
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, long> _remembered = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<bool>> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ITimer, IPAddress> _cooling = new();
    private int _admitted;

    /// <param name="settings">The bounds and the remembered time.</param>
    /// <param name="stored">The configured passwords: the costliest is what a made-up name is checked against.</param>
    /// <param name="time">The clock of what is remembered and of the cooldown.</param>
    /// <param name="cooldown">How long an address's turn lasts after a wrong answer (its next failure delay).</param>
    public PasswordVerifier(AuthSettings settings, IEnumerable<StoredPassword> stored, TimeProvider time, Func<IPAddress, TimeSpan>? cooldown = null)
    {
        _cooldown = cooldown ?? (_ => TimeSpan.Zero);
        MaxAtOnce = settings.MaxVerifications > 0 ? settings.MaxVerifications : Environment.ProcessorCount;
        _slots = new SemaphoreSlim(MaxAtOnce, MaxAtOnce);
        _maxAdmitted = MaxAtOnce + settings.MaxQueuedVerifications;
        _perAddress = new AddressCounts(settings.MaxVerificationsPerAddress);
        _costliest = stored.MaxBy(p => p.Cost) ?? StoredPassword.Unmatchable();
        _rememberFor = settings.VerifiedCacheTime;
        _time = time;
    }

    /// <summary>How many costly checks run at once at most.</summary>
    public int MaxAtOnce { get; }

    /// <summary>Costly checks running or waiting now.</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Whether <paramref name="candidate"/> was found right for <paramref name="name"/> within the remembered time.</summary>
    public bool IsRemembered(string name, string candidate) => IsRemembered(Key(name, candidate));

    /// <summary>
    /// Checks <paramref name="candidate"/> against <paramref name="user"/>'s password (null: a name no user has, which
    /// is never right but costs the same).
    /// </summary>
    public async ValueTask<Verification> VerifyAsync(string name, EdgeUser? user, string candidate, IPAddress address, CancellationToken cancellationToken)
    {
        var key = Key(name, candidate);
        if (user is not null && IsRemembered(key))
        {
            return Verification.Right;
        }

        if (user?.Password is { IsCostly: false } cheap)
        {
            if (cheap.Verify(candidate))
            {
                return Verification.Right;
            }

            // The same cost as a wrong password for a costly user, or an unknown name.
            var padded = await CheckAsync(key, _costliest, candidate, address, cancellationToken).ConfigureAwait(false);
            return padded is null ? Verification.Busy : Verification.Wrong;
        }

        var right = await CheckAsync(key, user?.Password ?? _costliest, candidate, address, cancellationToken).ConfigureAwait(false);
        if (right is null)
        {
            return Verification.Busy;
        }

        if (user is null || right == false)
        {
            return Verification.Wrong;
        }

        if (_remembered.Count >= MaxRemembered)
        {
            _remembered.Clear();
        }

        _remembered[key] = _time.GetTimestamp();
        return Verification.Right;
    }

    // Null: refused unchecked. Cheap passwords are checked at once; costly ones within the bounds.
    private async ValueTask<bool?> CheckAsync(string key, StoredPassword stored, string candidate, IPAddress address, CancellationToken cancellationToken)
    {
        if (!stored.IsCostly)
        {
            return stored.Verify(candidate);
        }

        if (_running.TryGetValue(key, out var running))
        {
            return await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (!_perAddress.TryAdd(address))
        {
            return null;
        }

        if (Interlocked.Increment(ref _admitted) > _maxAdmitted)
        {
            Interlocked.Decrement(ref _admitted);
            _perAddress.Remove(address);
            return null;
        }

        var check = RunAsync(stored, candidate, address);
        _running[key] = check;
        _ = check.ContinueWith(done => _running.TryRemove(new KeyValuePair<string, Task<bool>>(key, done)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return await check.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    // Not cancelled by the caller: others may be waiting for the same answer, and the admission is released at its end.
    private async Task<bool> RunAsync(StoredPassword stored, string candidate, IPAddress address)
    {
        var right = false;
        try
        {
            await _slots.WaitAsync().ConfigureAwait(false);
            try
            {
                right = await Task.Run(() => stored.Verify(candidate)).ConfigureAwait(false);
                return right;
            }
            finally
            {
                _slots.Release();

                // The check's block (64 MiB for MediaMTX's defaults) is garbage now, on the large object heap, which
                // is collected only with the oldest generation: left to the budget, a few checks' blocks pile up to
                // hundreds of megabytes. A background collection (threads keep running) returns it at once.
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _admitted);
            var cooldown = right ? TimeSpan.Zero : _cooldown(address);
            if (cooldown <= TimeSpan.Zero)
            {
                _perAddress.Remove(address);
            }
            else
            {
                ReleaseLater(address, cooldown);
            }
        }
    }

    // A timer of the clock rather than Task.Delay: the turn ends in the clock's own callback, so a test's fake clock
    // ends it as it is advanced. Held until it fires, so that it is not collected first.
    private void ReleaseLater(IPAddress address, TimeSpan after)
    {
        var timer = new StrongBox<ITimer>();
        timer.Value = _time.CreateTimer(
            _ =>
            {
                if (_cooling.TryRemove(timer.Value!, out IPAddress? _))
                {
                    _perAddress.Remove(address);
                    timer.Value!.Dispose();
                }
            },
            null,
            Timeout.InfiniteTimeSpan,
            Timeout.InfiniteTimeSpan);
        _cooling[timer.Value] = address;
        timer.Value.Change(after, Timeout.InfiniteTimeSpan);
    }

    private bool IsRemembered(string key) =>
        _remembered.TryGetValue(key, out var at) && _time.GetElapsedTime(at) < _rememberFor;

    // A keyed hash of the credentials: what is remembered and coalesced on can never be turned back into a password.
    private string Key(string name, string candidate) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{name}\0{candidate}")));

    public void Dispose()
    {
        foreach (var timer in _cooling.Keys)
        {
            timer.Dispose();
        }

        _slots.Dispose();
    }
}
