using GrpcStream.Origin.Live;
using GrpcStream.Origin.Publishing;
using Microsoft.Extensions.Logging.Abstractions;

namespace GrpcStream.Origin.Tests.Live;

/// <summary>
/// A channel the hub handed out just before it ended (its stream removed, its publisher gone for good, the origin
/// stopping) ends a subscriber added afterwards at once, as it ended the others, and starts nothing for it.
/// </summary>
public class EndedChannelTests
{
    [Fact]
    public async Task A_file_streams_channel_ends_a_late_subscriber_without_starting_its_clock()
    {
        using var fixture = new HubUnderTest();
        var (stream, disk) = fixture.Stream("gone.mjpeg", open: true);
        using var channel = new LiveChannel(stream, fixture.Time, fixture.Metrics, fixture.Cache, NullLogger.Instance);
        channel.End(new StreamRemovedException("gone.mjpeg"));

        var late = new Subscriber("gone.mjpeg", 8, null, () => { });
        channel.Add(late);

        await Assert.ThrowsAsync<StreamRemovedException>(() => late.Frames.Completion.WaitAsync(HubUnderTest.Deadline, TestContext.Current.CancellationToken));
        Assert.Equal(0, channel.Ticks);
        Assert.Equal(0, disk.ReadsBegun);

        // Nor does a new version of the stream start it again.
        channel.Replace(fixture.Stream("gone.mjpeg", open: true).Stream);
        Assert.Equal(0, channel.Ticks);
    }

    [Fact]
    public async Task A_published_stream_that_ended_ends_a_late_subscriber()
    {
        using var fixture = new HubUnderTest();
        var stream = new PublishedStream("live/gone", 25, fixture.Metrics);
        stream.End(new StreamRemovedException("live/gone", "Stream 'live/gone' ended: its publisher left."));

        var late = new Subscriber("live/gone", 8, null, () => { });
        stream.Add(late);

        await Assert.ThrowsAsync<StreamRemovedException>(() => late.Frames.Completion.WaitAsync(HubUnderTest.Deadline, TestContext.Current.CancellationToken));
    }
}
