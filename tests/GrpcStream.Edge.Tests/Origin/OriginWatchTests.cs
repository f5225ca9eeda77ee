using System.Threading.Channels;
using Grpc.Core;
using GrpcStream.Edge.Origin;
using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;

namespace GrpcStream.Edge.Tests.Origin;

/// <summary>
/// The watch of one stream across two origins in memory (the edge's own gRPC clients and marshallers over a fake
/// invoker, no socket), and one origin's circuit breaker, on a fake clock: a stream lost at one origin resumes at
/// the next after the last sequence seen; it returns to the preferred origin only once that one has been healthy
/// for the failback period, between two frames, losing nothing; and the breaker opens on repeated failures and
/// closes again.
/// </summary>
public sealed class OriginWatchTests : IDisposable
{
    private const string Stream = "movie.Mjpeg";
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly FakeOriginInvoker _preferred = new(Stream);
    private readonly FakeOriginInvoker _second = new(Stream);
    private readonly OriginSettings _settings = new() { Addresses = ["http://origin-a", "http://origin-b"] };
    private readonly Channel<ulong> _frames = Channel.CreateUnbounded<ulong>();
    private readonly List<ulong> _received = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly OriginLink _link;

    public OriginWatchTests()
    {
        var metrics = EdgeParts.Metrics();
        FakeOriginInvoker[] invokers = [_preferred, _second];
        _link = new OriginLink(
            Options.Create(new EdgeOptions { Origin = _settings }),
            _time,
            metrics,
            NullLogger<OriginLink>.Instance,
            (i, address) => new OriginServer(i, address, invokers[i], invokers[i], _settings, _time, metrics, NullLogger.Instance));
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        _link.Dispose();
    }

    private Task Watch() => Task.Run(() => _link.WatchAsync(Stream, frame => _frames.Writer.TryWrite(frame.Sequence), _stop.Token));

    /// <summary>Waits (with a deadline) until the watch has handed over <paramref name="count"/> frames in all.</summary>
    private async Task Received(int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (_received.Count < count)
            {
                _received.Add(await _frames.Reader.ReadAsync(deadline.Token));
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{_received.Count} frames of {count}; the link says: {string.Join("; ", _link.Problems.Select(p => $"{p.Key}: {p.Value}"))}");
        }
    }

    [Fact]
    public async Task A_stream_lost_at_one_origin_resumes_at_the_next_after_the_last_sequence_seen()
    {
        var watching = Watch();
        var first = await _preferred.NextWatchAsync();
        Assert.False(first.Request.HasResumeAfterSequence, "the first call asks from now");
        foreach (var sequence in new ulong[] { 41, 42, 43 })
        {
            first.Send(sequence);
        }

        await Received(3);
        Assert.Equal("http://origin-a", _link.SourceOf(Stream));

        first.Fail(StatusCode.Unavailable);
        var resumed = await _second.NextWatchAsync();

        Assert.Equal(43UL, resumed.Request.ResumeAfterSequence);
        Assert.True(first.Disposed, "the lost call is let go");
        resumed.Send(44);
        await Received(4);
        Assert.Equal([41UL, 42, 43, 44], _received);
        Assert.Equal("http://origin-b", _link.SourceOf(Stream));
        Assert.False(_link.Servers[0].IsUp, "the origin that lost the stream is down until it answers again");

        // An origin that ends the stream (a stopping origin) is left the same way.
        resumed.End();
        var again = await _preferred.NextWatchAsync();
        Assert.Equal(44UL, again.Request.ResumeAfterSequence);

        _stop.Cancel();
        await watching.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(again.Disposed);
    }

    [Fact]
    public async Task The_stream_moves_back_to_the_preferred_origin_only_once_it_has_been_healthy_for_the_failback_period_between_two_frames()
    {
        var watching = Watch();
        (await _preferred.NextWatchAsync()).Fail(StatusCode.Unavailable);
        var onSecond = await _second.NextWatchAsync();

        // Each frame is handed over, and the question of moving back asked, before the clock moves on.
        async Task Deliver(ulong sequence)
        {
            onSecond.Send(sequence);
            await Received((int)sequence);
            await onSecond.AskedAsync((int)sequence + 1);
        }

        await Deliver(1);
        Assert.False(_link.Servers[0].IsUp);

        // The preferred origin answers again: the link's probe (every quarter of the failback period) finds it up.
        _time.Advance(_settings.FailbackAfter / 4);
        Assert.True(_link.Servers[0].IsUp, "the probe found the preferred origin up");
        var describes = _preferred.Describes;

        // Up, but not for the failback period yet: frames go on from the second origin, and nothing is asked.
        _time.Advance(_settings.FailbackAfter / 2);
        await Deliver(2);
        Assert.Equal(describes, _preferred.Describes);
        Assert.Equal(1, _preferred.WatchCalls);

        // Healthy for the period: at the next frame it is asked whether it has the stream (it does), and the frame
        // after that is the last from the second origin; the preferred one resumes after it.
        _time.Advance(_settings.FailbackAfter / 2);
        await Deliver(3);
        Assert.Equal(Stream, await _preferred.NextDescribeAsync());
        onSecond.Send(4);
        var back = await _preferred.NextWatchAsync();

        Assert.Equal(4UL, back.Request.ResumeAfterSequence);
        Assert.Equal(describes + 1, _preferred.Describes);
        Assert.True(onSecond.Disposed, "the second origin's call is let go");
        back.Send(5);
        await Received(5);
        Assert.Equal([1UL, 2, 3, 4, 5], _received);
        Assert.Equal("http://origin-a", _link.SourceOf(Stream));

        _stop.Cancel();
        await watching.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_breaker_opens_after_repeated_failures_fails_fast_while_open_and_closes_when_the_origin_answers()
    {
        var server = _link.Servers[0];
        var attempts = 0;
        ValueTask<int> Unreachable(CancellationToken token)
        {
            attempts++;
            throw new RpcException(new Status(StatusCode.Unavailable, "connection refused"));
        }

        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<RpcException>(async () => await server.Connecting.ExecuteAsync(Unreachable, CancellationToken.None));
        }

        Assert.Equal("open", server.Circuit);
        await Assert.ThrowsAsync<BrokenCircuitException>(async () => await server.Connecting.ExecuteAsync(Unreachable, CancellationToken.None));
        Assert.Equal(5, attempts);

        // After its break, one attempt is let through; its success closes the circuit.
        _time.Advance(_settings.BreakDuration);
        Assert.Equal(1, await server.Connecting.ExecuteAsync(_ => ValueTask.FromResult(1), CancellationToken.None));
        Assert.Equal("closed", server.Circuit);

        // Opened again, it is closed at once when the origin answers any call (the link's probe, a DESCRIBE),
        // instead of waiting out its break.
        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<RpcException>(async () => await server.Connecting.ExecuteAsync(Unreachable, CancellationToken.None));
        }

        server.Failed();
        Assert.Equal("open", server.Circuit);
        server.Answered();
        Assert.Equal("closed", server.Circuit);
        Assert.Equal(10, attempts);
    }
}
