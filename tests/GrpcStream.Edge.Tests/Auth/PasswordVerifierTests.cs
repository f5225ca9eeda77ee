using System.Net;
using GrpcStream.Edge.Auth;
using GrpcStream.Testing;
using Microsoft.Extensions.Time.Testing;
using GrpcStream.Edge.Settings;

namespace GrpcStream.Edge.Tests.Auth;

/// <summary>The bounded verifier of costly passwords, with real argon2 hashes and a fake clock for what it remembers.</summary>
public class PasswordVerifierTests
{
    private static readonly IPAddress Attacker = IPAddress.Parse("203.0.113.7");
    private static readonly IPAddress Honest = IPAddress.Parse("198.51.100.1");

    // Costly enough (32 MiB, 2 passes) that a check is surely still running when the next call is made.
    private static readonly Lazy<string> Hashed = new(() => "argon2:" + Isopoh.Cryptography.Argon2.Argon2.Hash("right", timeCost: 2, memoryCost: 32 * 1024, parallelism: 1));

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static (PasswordVerifier Verifier, EdgeUser Alice, EdgeUser Bob) Make(FakeTimeProvider time, int maxAtOnce = 2, int queued = 32, int perAddress = 1, TimeSpan? cooldown = null)
    {
        var alice = new EdgeUser(new UserSettings { Name = "alice", Password = Hashed.Value });
        var bob = new EdgeUser(new UserSettings { Name = "bob", Password = "plain" });
        var settings = new AuthSettings { MaxVerifications = maxAtOnce, MaxQueuedVerifications = queued, MaxVerificationsPerAddress = perAddress, VerifiedCacheTime = TimeSpan.FromMinutes(1) };
        return (new PasswordVerifier(settings, [alice.Password, bob.Password], time, _ => cooldown ?? TimeSpan.Zero), alice, bob);
    }

    [Fact]
    public async Task An_address_has_one_costly_check_at_a_time_and_others_are_not_kept_waiting_by_it()
    {
        var (verifier, alice, _) = Make(new FakeTimeProvider());
        using var _ = verifier;
        var first = verifier.VerifyAsync("alice", alice, "guess1", Attacker, Token).AsTask();
        Assert.Equal(Verification.Busy, await verifier.VerifyAsync("alice", alice, "guess2", Attacker, Token));
        Assert.Equal(Verification.Right, await verifier.VerifyAsync("alice", alice, "right", Honest, Token));
        Assert.Equal(Verification.Wrong, await first);
        Assert.Equal(0, verifier.Admitted);
    }

    [Fact]
    public async Task Past_the_queue_checks_are_refused_unchecked()
    {
        var (verifier, alice, _) = Make(new FakeTimeProvider(), maxAtOnce: 1, queued: 1, perAddress: 0);
        using var _ = verifier;
        var running = verifier.VerifyAsync("alice", alice, "guess1", Attacker, Token).AsTask();
        var waiting = verifier.VerifyAsync("alice", alice, "guess2", Attacker, Token).AsTask();
        Assert.Equal(Verification.Busy, await verifier.VerifyAsync("alice", alice, "guess3", Honest, Token));
        Assert.Equal([Verification.Wrong, Verification.Wrong], await Task.WhenAll(running, waiting));
    }

    [Fact]
    public async Task The_same_credentials_asked_while_their_check_runs_wait_for_it_and_right_ones_are_remembered_for_a_while()
    {
        var time = new FakeTimeProvider();
        var (verifier, alice, _) = Make(time);
        using var _ = verifier;

        // A browser's page: its list and eight previews at once, each with the same Basic header, from one address.
        var page = await Task.WhenAll(Enumerable.Range(0, 9).Select(_ => verifier.VerifyAsync("alice", alice, "right", Honest, Token).AsTask()));
        Assert.All(page, result => Assert.Equal(Verification.Right, result));
        Assert.True(verifier.IsRemembered("alice", "right"));
        Assert.False(verifier.IsRemembered("alice", "wrong"));

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(verifier.IsRemembered("alice", "right"));
    }

    [Fact]
    public async Task A_name_no_user_has_and_a_wrong_cheap_password_cost_a_costly_check_too()
    {
        var (verifier, _, bob) = Make(new FakeTimeProvider());
        using var _ = verifier;

        // While either one's check runs, the address has its one costly check under way: a second is refused.
        foreach (var (name, user) in new[] { ("mallory", (EdgeUser?)null), ("bob", bob) })
        {
            var check = verifier.VerifyAsync(name, user, "guess", Attacker, Token).AsTask();
            Assert.Equal(Verification.Busy, await verifier.VerifyAsync("alice", null, "other", Attacker, Token));
            Assert.Equal(Verification.Wrong, await check);
        }

        // A right cheap password is answered at once, and a made-up name is never right, whatever the password.
        Assert.Equal(Verification.Right, await verifier.VerifyAsync("bob", bob, "plain", Attacker, Token));
        Assert.Equal(Verification.Wrong, await verifier.VerifyAsync("mallory", null, "right", Honest, Token));
    }

    [Fact]
    public async Task After_a_wrong_answer_the_addresss_turn_lasts_its_failure_delay_and_a_right_one_ends_it_at_once()
    {
        var time = new FakeTimeProvider();
        var (verifier, alice, _) = Make(time, cooldown: TimeSpan.FromSeconds(5));
        using var _ = verifier;
        Assert.Equal(Verification.Wrong, await verifier.VerifyAsync("alice", alice, "guess1", Attacker, Token));
        Assert.Equal(Verification.Busy, await verifier.VerifyAsync("alice", alice, "guess2", Attacker, Token));
        Assert.Equal(Verification.Right, await verifier.VerifyAsync("alice", alice, "right", Honest, Token));
        Assert.Equal(Verification.Right, await verifier.VerifyAsync("alice", alice, "right", Honest, Token)); // remembered; and a right answer holds no turn

        // Its turn ends with its delay on the clock, and not before.
        time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1));
        Assert.Equal(Verification.Busy, await verifier.VerifyAsync("alice", alice, "guess3", Attacker, Token));
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(Verification.Wrong, await verifier.VerifyAsync("alice", alice, "guess3", Attacker, Token));
    }
}
