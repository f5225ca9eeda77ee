using System.Net;
using GrpcStream.Edge.Auth;
using Microsoft.Extensions.Time.Testing;
using GrpcStream.Edge.Settings;

namespace GrpcStream.Edge.Tests.Auth;

/// <summary>The failure budgets per address and per user name, on a fake clock. No I/O.</summary>
public class GuessBudgetTests
{
    private static readonly IPAddress Attacker = IPAddress.Parse("203.0.113.7");
    private static readonly IPAddress Honest = IPAddress.Parse("198.51.100.1");

    private static AuthSettings Settings(int perAddress = 20, int perUser = 60) =>
        new() { FailuresPerAddress = perAddress, FailuresPerUser = perUser, FailureWindow = TimeSpan.FromMinutes(1) };

    [Fact]
    public void An_address_has_its_burst_then_one_failure_per_refill_interval()
    {
        var time = new FakeTimeProvider();
        var budget = new GuessBudget(Settings(), time);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(GuessRefusal.None, budget.TryTake(Attacker, $"user{i}", out _));
        }

        Assert.Equal(GuessRefusal.Address, budget.TryTake(Attacker, "alice", out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(3), retryAfter); // a minute's 20 failures: one every 3 s

        // Another address is not touched; the attacker gets one more once 3 s have passed, and no more.
        Assert.Equal(GuessRefusal.None, budget.TryTake(Honest, "alice", out _));
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(GuessRefusal.None, budget.TryTake(Attacker, "alice", out _));
        Assert.Equal(GuessRefusal.Address, budget.TryTake(Attacker, "alice", out _));
    }

    [Fact]
    public void Right_credentials_give_back_what_their_check_took()
    {
        var time = new FakeTimeProvider();
        var budget = new GuessBudget(Settings(perAddress: 2), time);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(GuessRefusal.None, budget.TryTake(Attacker, "alice", out _));
            budget.GiveBack(Attacker, "alice");
        }

        Assert.Equal(GuessRefusal.None, budget.TryTake(Attacker, "alice", out _));
        Assert.Equal(GuessRefusal.None, budget.TryTake(Attacker, "alice", out _));
        Assert.Equal(GuessRefusal.Address, budget.TryTake(Attacker, "alice", out _));
    }

    [Fact]
    public void A_name_has_its_own_budget_across_addresses_and_a_refusal_by_name_costs_the_address_nothing()
    {
        var time = new FakeTimeProvider();
        var budget = new GuessBudget(Settings(perAddress: 20, perUser: 30), time);
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(GuessRefusal.None, budget.TryTake(IPAddress.Parse($"203.0.113.{i}"), "alice", out _));
        }

        Assert.Equal(GuessRefusal.User, budget.TryTake(Honest, "alice", out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(2), retryAfter);

        // The honest address's budget was given back: its 20 failures for other names are all there.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(GuessRefusal.None, budget.TryTake(Honest, "bob", out _));
        }
    }

    [Fact]
    public void Concurrent_guesses_cannot_overdraw_the_budget()
    {
        var budget = new GuessBudget(Settings(), new FakeTimeProvider());
        var taken = 0;
        Parallel.For(0, 400, i =>
        {
            if (budget.TryTake(Attacker, $"name{i % 7}", out _) == GuessRefusal.None)
            {
                Interlocked.Increment(ref taken);
            }
        });

        Assert.Equal(20, taken);
    }

    [Fact]
    public void Unknown_names_are_budgeted_like_known_ones_and_a_spray_of_addresses_stays_bounded()
    {
        var time = new FakeTimeProvider();
        var budget = new GuessBudget(Settings(perAddress: 1, perUser: 0), time);
        for (var i = 0; i < GuessBudget.MaxKeys; i++)
        {
            var address = new IPAddress(BitConverter.GetBytes(0x0A000000 + i));
            Assert.Equal(GuessRefusal.None, budget.TryTake(address, "nobody", out _));
        }

        // Past the table's bound new addresses share one bucket: the spray is limited as one address would be.
        Assert.Equal(GuessRefusal.None, budget.TryTake(IPAddress.Parse("10.200.0.1"), "nobody", out _));
        Assert.Equal(GuessRefusal.Address, budget.TryTake(IPAddress.Parse("10.200.0.2"), "nobody", out _));

        // Once the sprayed buckets have refilled they are forgotten, and a new address has its own again.
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(GuessRefusal.None, budget.TryTake(IPAddress.Parse("10.200.0.3"), "nobody", out _));
        Assert.Equal(GuessRefusal.Address, budget.TryTake(IPAddress.Parse("10.200.0.3"), "nobody", out _));
    }

    [Fact]
    public void A_budget_of_zero_turns_the_limit_off()
    {
        var budget = new GuessBudget(Settings(perAddress: 0, perUser: 0), new FakeTimeProvider());
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(GuessRefusal.None, budget.TryTake(Attacker, "alice", out _));
        }
    }
}
