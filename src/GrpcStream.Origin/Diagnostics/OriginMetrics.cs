using System.Diagnostics.Metrics;
using GrpcStream.Rtsp.Media;

namespace GrpcStream.Origin.Diagnostics;

/// <summary>The origin's metrics (exported at /metrics by the service defaults).</summary>
internal sealed class OriginMetrics
{
    public const string MeterName = "GrpcStream.Origin";

    // Instrument names carry the service, as Prometheus series do: grpcstream_origin_frames_published_total.
    private const string Prefix = "grpcstream.origin.";

    private readonly Counter<long> _published;
    private readonly Counter<long> _offered;
    private readonly Counter<long> _dropped;
    private readonly UpDownCounter<long> _subscribers;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _framesSkipped;
    private readonly Counter<long> _entriesRefused;
    private readonly Counter<long> _unreadable;
    private readonly UpDownCounter<long> _publishers;
    private readonly Counter<long> _publishRefused;
    private readonly Counter<long> _publishedFramesRefused;
    private readonly Counter<long> _framesRead;
    private readonly Counter<long> _bytesRead;

    public OriginMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _published = meter.CreateCounter<long>(Prefix + "frames.published", description: "Clock ticks: frames made live, one per tick per watched stream.");
        _offered = meter.CreateCounter<long>(Prefix + "frames.offered", description: "Frames queued to subscribers (published frames times subscribers).");
        _dropped = meter.CreateCounter<long>(Prefix + "frames.dropped", description: "Frames dropped for a subscriber that read too slowly.");
        _subscribers = meter.CreateUpDownCounter<long>(Prefix + "subscribers", description: "WatchFrames calls in progress.");
        _refused = meter.CreateCounter<long>(Prefix + "subscribers.refused", description: "WatchFrames calls refused at Origin:MaxSubscribers or Origin:MaxSubscribersPerStream.");
        _framesSkipped = meter.CreateCounter<long>(Prefix + "frames.skipped", description: "Source frames left out when a stream was indexed, by reason (truncated, corrupt, too_large, too_many_pixels, not_convertible, out_of_memory, unreadable).");
        _unreadable = meter.CreateCounter<long>(Prefix + "frames.unreadable", description: "Clock ticks without a frame because the frame could not be read as indexed (its source changed; the next rescan indexes it again).");
        _publishers = meter.CreateUpDownCounter<long>(Prefix + "publishers", description: "PublishFrames calls in progress.");
        _publishRefused = meter.CreateCounter<long>(Prefix + "publish.refused", description: "PublishFrames calls refused, by reason (already_exists, limit, bad_name, bad_start).");
        _publishedFramesRefused = meter.CreateCounter<long>(Prefix + "publish.frames.refused", description: "Published frames refused (ending their call), by reason (not_jpeg, too_large, too_many_pixels, not_convertible).");
        _framesRead = meter.CreateCounter<long>(Prefix + "ondemand.frames", description: "Frames served by index (ReadFrames) to edges playing streams on demand.");
        _bytesRead = meter.CreateCounter<long>(Prefix + "ondemand.bytes", description: "Bytes of the frames served by index (ReadFrames).");
        _entriesRefused = meter.CreateCounter<long>(Prefix + "entries.refused", description: "Media-root entries that are not streams, by reason (not_regular_file, symlink_outside_root, not_a_stream, scan_failed); once per version of an entry.");
    }

    public void FramePublished(string stream, int subscribers)
    {
        var tag = new KeyValuePair<string, object?>("stream", stream);
        _published.Add(1, tag);
        _offered.Add(subscribers, tag);
    }

    public void FramesSkipped(string stream, FrameSkipReason reason, int count) =>
        _framesSkipped.Add(count, new KeyValuePair<string, object?>("stream", stream), new KeyValuePair<string, object?>("reason", SnakeCase(reason)));

    /// <summary>A ReadFrames call served <paramref name="frames"/> frames of <paramref name="bytes"/> bytes.</summary>
    public void FramesRead(string stream, int frames, long bytes)
    {
        var tag = new KeyValuePair<string, object?>("stream", stream);
        _framesRead.Add(frames, tag);
        _bytesRead.Add(bytes, tag);
    }

    public void FrameUnreadable(string stream) => _unreadable.Add(1, new KeyValuePair<string, object?>("stream", stream));

    public void EntryRefused(string reason) => _entriesRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    private static string SnakeCase(FrameSkipReason reason) => reason switch
    {
        FrameSkipReason.TooLarge => "too_large",
        FrameSkipReason.TooManyPixels => "too_many_pixels",
        FrameSkipReason.NotConvertible => "not_convertible",
        FrameSkipReason.OutOfMemory => "out_of_memory",
        _ => reason.ToString().ToLowerInvariant(),
    };

    public void PublisherAdded() => _publishers.Add(1);

    public void PublisherRemoved() => _publishers.Add(-1);

    public void PublishRefused(string reason) => _publishRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void PublishedFrameRefused(string stream, string reason) =>
        _publishedFramesRefused.Add(1, new KeyValuePair<string, object?>("stream", stream), new KeyValuePair<string, object?>("reason", reason));

    public void FrameDropped(string stream) => _dropped.Add(1, new KeyValuePair<string, object?>("stream", stream));

    public void SubscriberAdded(string stream) => _subscribers.Add(1, new KeyValuePair<string, object?>("stream", stream));

    public void SubscriberRefused(string stream) => _refused.Add(1, new KeyValuePair<string, object?>("stream", stream));

    public void SubscriberRemoved(string stream) => _subscribers.Add(-1, new KeyValuePair<string, object?>("stream", stream));
}
