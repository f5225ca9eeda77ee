using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Edge.Tests.Streams;

/// <summary>
/// The registry's one rule, on a fake clock: a stream has one hub however many acquire it at once, kept while
/// anyone holds a lease and for <see cref="OriginSettings.Linger"/> after the last, and a lease goes back on every
/// path out of a <c>using</c> block.
/// </summary>
public sealed class StreamHubRegistryTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly FakeOriginSource _source = new();
    private readonly EdgeOptions _options = new() { Origin = { Linger = TimeSpan.FromSeconds(10) } };
    private readonly StreamHubRegistry _registry;

    public StreamHubRegistryTests()
    {
        _registry = new StreamHubRegistry(_source, Options.Create(_options), EdgeParts.Metrics(), _time, NullLogger<StreamHub>.Instance);
    }

    public ValueTask DisposeAsync() => _registry.DisposeAsync();

    [Fact]
    public async Task Concurrent_acquires_of_one_name_share_one_hub_and_one_watch()
    {
        var leases = new HubLease[200];
        Parallel.For(0, leases.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => leases[i] = _registry.Acquire("cam"));

        var watch = await _source.NextWatchAsync();
        Assert.Equal(1, _registry.Count);
        Assert.All(leases, lease => Assert.Same(leases[0].Source, lease.Source));
        Assert.Equal(1, _source.WatchesStarted);

        foreach (var lease in leases[1..])
        {
            lease.Dispose();
        }

        _time.Advance(_options.Origin.Linger * 2);
        Assert.False(watch.Token.IsCancellationRequested, "one lease still holds the hub");
        leases[0].Dispose();
        _time.Advance(_options.Origin.Linger);
        await watch.Ended.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, _registry.Count);
    }

    [Fact]
    public async Task The_last_user_leaving_keeps_the_hub_warm_for_the_linger_and_a_return_within_it_finds_the_same_hub()
    {
        var first = _registry.Acquire("cam");
        var watch = await _source.NextWatchAsync();
        var hub = first.Source;
        first.Dispose();

        _time.Advance(_options.Origin.Linger - TimeSpan.FromSeconds(1));
        using (var again = _registry.Acquire("cam"))
        {
            Assert.Same(hub, again.Source);
        }

        _time.Advance(_options.Origin.Linger - TimeSpan.FromSeconds(1));
        Assert.False(watch.Token.IsCancellationRequested, "the linger starts again from the last release");
        _time.Advance(TimeSpan.FromSeconds(2));
        await watch.Ended.WaitAsync(TimeSpan.FromSeconds(10));

        using var later = _registry.Acquire("cam");
        Assert.NotSame(hub, later.Source);
        Assert.Equal("cam", (await _source.NextWatchAsync()).Name);
    }

    [Fact]
    public async Task A_lease_goes_back_when_its_block_throws_and_a_taken_one_when_the_taker_releases_it()
    {
        void FailHalfway()
        {
            using var lease = _registry.Acquire("thrown");
            throw new InvalidOperationException("SETUP failed halfway");
        }

        var ex = Assert.Throws<InvalidOperationException>(FailHalfway);
        Assert.Equal("SETUP failed halfway", ex.Message);
        var thrown = await _source.NextWatchAsync();

        IFrameSource taken;
        using (var lease = _registry.Acquire("taken"))
        {
            taken = lease.Take();
        }

        var kept = await _source.NextWatchAsync();
        _time.Advance(_options.Origin.Linger + TimeSpan.FromSeconds(1));
        await thrown.Ended.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(kept.Token.IsCancellationRequested, "the taker still holds its feed");

        taken.Release();
        _time.Advance(_options.Origin.Linger + TimeSpan.FromSeconds(1));
        await kept.Ended.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, _registry.Count);
    }

    [Fact]
    public async Task A_session_acquires_a_stream_only_once_the_origin_has_it_and_with_its_first_frame_awaited()
    {
        await Assert.ThrowsAsync<GrpcStream.Edge.Origin.StreamNotFoundException>(() => _registry.AcquireAsync("nothing", CancellationToken.None));
        Assert.Equal(0, _registry.Count); // nothing was watched for a stream that does not exist
        Assert.True(_source.NoWatchWaiting);

        _source.Add("cam");
        var acquiring = _registry.AcquireAsync("cam", CancellationToken.None);
        var watch = await _source.NextWatchAsync();
        Assert.False(acquiring.IsCompleted, "a session starts with a frame: the first is awaited");
        watch.Push(1, 3600, EdgeParts.Jpeg());
        using var lease = await acquiring.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3600u, lease.Source.LatestTime?.Pts);

        // Cancelled while waiting (the client went away): the lease goes back, and the linger ends the watch.
        _source.Add("other");
        using var gone = new CancellationTokenSource();
        var abandoned = _registry.AcquireAsync("other", gone.Token);
        var otherWatch = await _source.NextWatchAsync();
        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned.WaitAsync(TimeSpan.FromSeconds(10)));
        _time.Advance(_options.Origin.Linger + TimeSpan.FromSeconds(1));
        await otherWatch.Ended.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(watch.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task Disposing_the_registry_ends_every_watch()
    {
        using var a = _registry.Acquire("a");
        using var b = _registry.Acquire("b");
        var watches = new[] { await _source.NextWatchAsync(), await _source.NextWatchAsync() };

        await _registry.DisposeAsync();

        await Task.WhenAll(watches.Select(w => w.Ended)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, _registry.Count);
    }
}
