using GrpcStream.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcStream.IntegrationTests.Edge.Origin;

/// <summary>An edge with two origins (in this process): failover, the return to the preferred origin, and the slate turned off.</summary>
public class OriginFailoverTests
{
    private const string Stream = "movie.Mjpeg";

    [Fact]
    public async Task A_stream_moves_to_the_next_origin_and_back_to_the_preferred_one_and_the_player_loses_nothing()
    {
        await using var host = await EdgeTestHost.StartWithOriginsAsync(2, [], "Origin:FailbackAfter=00:00:01", "Origin:RetryMaxDelay=00:00:00.500");
        var link = host.Edge.Services.GetRequiredService<GrpcStream.Edge.Origin.OriginLink>();
        await using var player = await HonestPlayer.StartAsync(host.Url(Stream));
        await player.WaitForMoreFramesAsync(5);
        Assert.Equal(host.OriginAddressAt(0), link.SourceOf(Stream));

        await host.StopOriginAsync(0);
        await Eventually.HoldsAsync(() => link.SourceOf(Stream) == host.OriginAddressAt(1), "the stream taken from the second origin");
        await player.WaitForMoreFramesAsync(10);

        // The preferred origin is back: once it has been healthy for FailbackAfter, the stream returns to it.
        await host.RestartOriginAsync(0);
        await Eventually.HoldsAsync(() => link.SourceOf(Stream) == host.OriginAddressAt(0), "the stream back on the preferred origin", TimeSpan.FromSeconds(30));
        await player.WaitForMoreFramesAsync(10);

        player.AssertLostNothing(host);
        Assert.Equal(1, host.Metrics.Failovers(host.OriginAddressAt(1)));
        Assert.Equal(1, host.Metrics.Failbacks(host.OriginAddressAt(0)));
        Assert.Equal(0, host.Metrics.SlateFrames);
    }

    [Fact]
    public async Task With_the_slate_off_sessions_simply_wait_while_no_origin_delivers_and_go_on_when_one_does()
    {
        await using var host = await EdgeTestHost.StartWithOriginsAsync(2, [], "Origin:Slate=false", "Origin:SlateAfter=00:00:00.100", "Origin:RetryMaxDelay=00:00:00.500");
        var link = host.Edge.Services.GetRequiredService<GrpcStream.Edge.Origin.OriginLink>();
        await using var player = await HonestPlayer.StartAsync(host.Url(Stream));
        await player.WaitForMoreFramesAsync(5);

        await host.StopOriginAsync(0);
        await host.StopOriginAsync(1);
        await Eventually.HoldsAsync(() => !link.IsReceiving(Stream) && Failed(host, 1), "the stream lost, and a round over both origins failed");
        var frames = player.Frames;

        // What does not happen needs a window: 1.5 s, fifteen times SlateAfter, and three failed rounds.
        var window = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.HoldsAsync(() => window.Elapsed >= TimeSpan.FromSeconds(1.5) && Failed(host, 3), "the window passed");
        Assert.Equal(frames, player.Frames);
        Assert.Equal(0, host.Metrics.SlateFrames);

        await host.RestartOriginAsync(1);
        await player.WaitForMoreFramesAsync(10);
        player.AssertLostNothing(host);
        Assert.Equal(host.OriginAddressAt(1), link.SourceOf(Stream));
    }

    private static bool Failed(EdgeTestHost host, int attempt) =>
        host.Log.Lines.Any(l => l.Contains($"Origin stream {Stream}: attempt {attempt} failed", StringComparison.Ordinal));
}
