using GrpcStream.Origin.Catalogue;
using GrpcStream.Origin.Live;
using GrpcStream.Testing;
using static GrpcStream.Origin.Tests.Live.HubUnderTest;

namespace GrpcStream.Origin.Tests.Live;

/// <summary>
/// The hub's books under concurrency, on a fake clock with no host: a stream's first frame is read outside the
/// hub's lock (a slow file holds up only its own stream), and the caps, the one channel per stream and the counts
/// stay right for subscribers still joining.
/// </summary>
public class LiveChannelHubTests
{
    [Fact]
    public async Task While_one_stream_waits_on_its_first_frame_other_streams_subscribe_and_unsubscribe()
    {
        using var fixture = new HubUnderTest();
        var hub = fixture.Hub;
        var (slowStream, disk) = fixture.Stream("slow.mjpeg");
        var (quick, _) = fixture.Stream("quick.mjpeg", open: true);
        var (other, _) = fixture.Stream("other.mjpeg", open: true);
        var early = hub.Subscribe(quick, null);

        var slow = OnItsOwnThread(() => hub.Subscribe(slowStream, null));
        await Eventually.HoldsAsync(() => disk.ReadsBegun == 1, "the slow stream's first frame being read");

        // Each with a deadline: a hub that read under its lock would keep them until the read is let go.
        var late = await OnItsOwnThread(() => hub.Subscribe(quick, null)).WaitAsync(Deadline, TestContext.Current.CancellationToken);
        await OnItsOwnThread(() => hub.Unsubscribe(early)).WaitAsync(Deadline, TestContext.Current.CancellationToken);
        var another = await OnItsOwnThread(() => hub.Subscribe(other, null)).WaitAsync(Deadline, TestContext.Current.CancellationToken);
        Assert.True(late.Frames.TryRead(out var frame));
        Assert.Equal(GatedFrameStore.Jpeg, frame.Jpeg);
        Assert.True(another.Frames.TryRead(out _));
        Assert.NotNull(hub.ChannelOf("quick.mjpeg"));

        // All the while, the slow one was still reading, and counted.
        Assert.False(slow.IsCompleted);
        Assert.Equal(1, disk.ReadsBegun);
        Assert.Equal(3, hub.Subscribers.Count);

        disk.Open();
        var joined = await slow.WaitAsync(Deadline, TestContext.Current.CancellationToken);
        Assert.True(joined.Frames.TryRead(out frame));
        Assert.Equal(GatedFrameStore.Jpeg, frame.Jpeg);
        AllLeave(fixture, joined, late, another);
    }

    [Fact]
    public async Task Subscribers_joining_a_stream_together_share_one_channel_and_its_first_frame()
    {
        using var fixture = new HubUnderTest();
        var hub = fixture.Hub;
        var (stream, disk) = fixture.Stream("one.mjpeg");

        var joining = Enumerable.Range(0, 8).Select(_ => OnItsOwnThread(() => hub.Subscribe(stream, null))).ToArray();
        await Eventually.HoldsAsync(() => hub.Subscribers.Count == 8, "all eight counted while the first frame is read");
        Assert.Equal(1, disk.ReadsBegun);
        Assert.DoesNotContain(joining, j => j.IsCompleted);

        disk.Open();
        var subscribers = await Task.WhenAll(joining).WaitAsync(Deadline, TestContext.Current.CancellationToken);
        var channel = hub.ChannelOf("one.mjpeg");
        Assert.NotNull(channel);
        Assert.All(subscribers, s => Assert.Same(channel, s.Source));

        // One clock started: one first frame read, one tick, the same frame for everyone.
        Assert.Equal(1, disk.ReadsBegun);
        Assert.Equal(1, channel.Ticks);
        var firsts = subscribers.Select(s => s.Frames.TryRead(out var f) ? f : null).ToArray();
        Assert.All(firsts, f => Assert.Same(firsts[0], f));
        Assert.NotNull(firsts[0]);
        AllLeave(fixture, subscribers);
    }

    [Fact]
    public async Task The_caps_count_subscribers_still_joining()
    {
        using var fixture = new HubUnderTest(maxSubscribers: 5, maxSubscribersPerStream: 3);
        var hub = fixture.Hub;
        var (slow, disk) = fixture.Stream("slow.mjpeg");
        var (quick, _) = fixture.Stream("quick.mjpeg", open: true);

        // Ten at once on a stream of three places, whose first frame is being read: seven refused, at once.
        var toSlow = Enumerable.Range(0, 10).Select(_ => OnItsOwnThread(() => hub.Subscribe(slow, null))).ToArray();
        await Eventually.HoldsAsync(() => toSlow.Count(t => t.IsFaulted) == 7, "seven refused at the stream's cap");
        Assert.All(toSlow.Where(t => t.IsFaulted), t => Assert.Contains("Origin:MaxSubscribersPerStream", Assert.IsType<SubscriberLimitException>(t.Exception!.InnerException).Message, StringComparison.Ordinal));
        Assert.Equal(3, hub.Subscribers.Count);

        // Five at once on another stream: two places are left on the origin, the three joining hold theirs.
        var toQuick = Enumerable.Range(0, 5).Select(_ => OnItsOwnThread(() => hub.Subscribe(quick, null))).ToArray();
        await SettledAsync(toQuick);
        Assert.Equal(2, toQuick.Count(t => t.IsCompletedSuccessfully));
        Assert.All(toQuick.Where(t => t.IsFaulted), t => Assert.Contains("The origin has 5 subscribers", Assert.IsType<SubscriberLimitException>(t.Exception!.InnerException).Message, StringComparison.Ordinal));
        Assert.Equal(10, fixture.Refused);

        disk.Open();
        await SettledAsync(toSlow);
        Assert.Equal(3, toSlow.Count(t => t.IsCompletedSuccessfully));
        Assert.Equal(5, hub.Subscribers.Count);
        Assert.Equal(5, fixture.SubscriberGauge);
        AllLeave(fixture, [.. toSlow.Concat(toQuick).Where(t => t.IsCompletedSuccessfully).Select(t => t.Result)]);
    }

    [Fact]
    public async Task A_channel_that_ends_while_a_subscriber_joins_it_ends_that_subscriber_too()
    {
        // The channel sees the joiner's add or its end first, as its lock goes: either way, nothing may be left
        // waiting. A few rounds, so that both ways are very likely taken.
        for (var round = 0; round < 5; round++)
        {
            await EndWhileJoiningAsync();
        }
    }

    private static async Task EndWhileJoiningAsync()
    {
        using var fixture = new HubUnderTest();
        var hub = fixture.Hub;
        var (stream, disk) = fixture.Stream("ending.mjpeg");

        // The first starts the channel's clock, which reads; the second has the channel and waits to be added to it.
        var first = OnItsOwnThread(() => hub.Subscribe(stream, null));
        await Eventually.HoldsAsync(() => disk.ReadsBegun == 1, "the first frame being read");
        var second = OnItsOwnThread(() => hub.Subscribe(stream, null));
        await Eventually.HoldsAsync(() => hub.Subscribers.Count == 2, "the second subscriber counted");

        // The origin stops: the hub lets go of the channel at once, and the channel ends once its read is done.
        var stopping = OnItsOwnThread(hub.EndAll);
        await Eventually.HoldsAsync(() => hub.ChannelOf("ending.mjpeg") is null, "the hub letting go of the channel");
        Assert.False(second.IsCompleted);
        disk.Open();
        await stopping.WaitAsync(Deadline, TestContext.Current.CancellationToken);
        var subscribers = await Task.WhenAll(first, second).WaitAsync(Deadline, TestContext.Current.CancellationToken);
        foreach (var subscriber in subscribers)
        {
            await Assert.ThrowsAsync<OriginStoppingException>(() => ReadToEndAsync(subscriber));
        }

        // One arriving now is ended at once, and not counted.
        var late = hub.Subscribe(stream, null);
        await Assert.ThrowsAsync<OriginStoppingException>(() => ReadToEndAsync(late));
        Assert.Equal(2, hub.Subscribers.Count);
        Assert.Equal(1, disk.ReadsBegun);
        AllLeave(fixture, [.. subscribers, late]);
    }

    private static async Task SettledAsync(IEnumerable<Task> tasks)
    {
        try
        {
            await Task.WhenAll(tasks).WaitAsync(Deadline, TestContext.Current.CancellationToken);
        }
        catch (SubscriberLimitException)
        {
            // Refusals are what some of them were for; the caller counts them.
        }
    }

    private static async Task ReadToEndAsync(Subscriber subscriber)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(Deadline);
        await foreach (var _ in subscriber.Frames.ReadAllAsync(deadline.Token))
        {
        }
    }

    // Everyone leaves as the gRPC service has them leave: the books and the gauge are back to nothing.
    private static void AllLeave(HubUnderTest fixture, params Subscriber[] subscribers)
    {
        foreach (var subscriber in subscribers)
        {
            fixture.Hub.Unsubscribe(subscriber);
        }

        Assert.Empty(fixture.Hub.Subscribers);
        Assert.Equal(0, fixture.SubscriberGauge);
        foreach (var name in subscribers.Select(s => s.Stream).Distinct())
        {
            Assert.Null(fixture.Hub.ChannelOf(name));
        }
    }
}
