using GrpcStream.Rtsp.Client;

namespace GrpcStream.Testing;

/// <summary>
/// A well-behaved player (the project's RTSP client) that plays alongside an attack and must lose nothing: every
/// packet arrives, every frame completes, and frames step forward in whole frame periods of RTP time. (A step of
/// more than one period is not a loss by itself: a live origin on a busy machine skips ticks it was late for.
/// Frames the edge skips for a reader show in its frames_dropped counter, which callers check.)
/// </summary>
public sealed class HonestPlayer : IAsyncDisposable
{
    private readonly RtspPlayer _client;
    private readonly List<uint> _timestamps = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _reading = Task.CompletedTask;

    private HonestPlayer(RtspPlayer client)
    {
        _client = client;
    }

    public int Frames
    {
        get
        {
            lock (_timestamps)
            {
                return _timestamps.Count;
            }
        }
    }

    public static Task<HonestPlayer> StartAsync(string url, RtspTransport transport = RtspTransport.Tcp) =>
        StartAsync(url, new RtspPlayerOptions { Transport = transport });

    public static async Task<HonestPlayer> StartAsync(string url, RtspPlayerOptions options)
    {
        var player = new HonestPlayer(new RtspPlayer(url, options));
        await player._client.SetupAsync(TestContext.Current.CancellationToken);
        await player._client.PlayAsync(TestContext.Current.CancellationToken);
        player._reading = Task.Run(player.ReadAsync);
        return player;
    }

    /// <summary>Waits until <paramref name="count"/> more frames than now have arrived.</summary>
    public async Task WaitForMoreFramesAsync(int count, TimeSpan? timeout = null)
    {
        var target = Frames + count;
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (Frames < target)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the honest player got {Frames} frames, not {target}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Asserts that nothing was lost so far: no packet, no frame, no skipped frame period.</summary>
    public void AssertLostNothing(int framesPerSecond = 25)
    {
        var statistics = _client.GetStatistics();
        Assert.Equal(0, statistics.LostPackets);
        Assert.Equal(0, statistics.DroppedFrames);
        uint[] timestamps;
        lock (_timestamps)
        {
            timestamps = [.. _timestamps];
        }

        var period = (uint)(90_000 / framesPerSecond);
        for (var i = 1; i < timestamps.Length; i++)
        {
            var step = timestamps[i] - timestamps[i - 1];
            Assert.True(step > 0 && step < int.MaxValue && step % period == 0, $"frame {i} came {step} RTP ticks after the one before, not a whole number of {period}-tick periods");
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var frame in _client.ReadFramesAsync(_stop.Token))
            {
                lock (_timestamps)
                {
                    _timestamps.Add(frame.RtpTimestamp);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        await _client.DisposeAsync();
        _stop.Dispose();
    }
}
