using System.Diagnostics.Metrics;

namespace GrpcStream.Origin.Diagnostics;

/// <summary>The origin's metrics (exported at /metrics by the service defaults).</summary>
internal sealed class OriginMetrics
{
    // prometheus-net prefixes each instrument with the meter name: grpcstream_origin_frames_published_total.
    public const string MeterName = "GrpcStream.Origin";

    private readonly Counter<long> _published;
    private readonly Counter<long> _offered;
    private readonly Counter<long> _dropped;
    private readonly UpDownCounter<long> _subscribers;
    private readonly Counter<long> _refused;

    public OriginMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _published = meter.CreateCounter<long>("frames.published", description: "Clock ticks: frames made live, one per tick per watched stream.");
        _offered = meter.CreateCounter<long>("frames.offered", description: "Frames queued to subscribers (published frames times subscribers).");
        _dropped = meter.CreateCounter<long>("frames.dropped", description: "Frames dropped for a subscriber that read too slowly.");
        _subscribers = meter.CreateUpDownCounter<long>("subscribers", description: "WatchFrames calls in progress.");
        _refused = meter.CreateCounter<long>("subscribers.refused", description: "WatchFrames calls refused at Origin:MaxSubscribers or Origin:MaxSubscribersPerStream.");
    }

    public void FramePublished(string stream, int subscribers)
    {
        var tag = new KeyValuePair<string, object?>("stream", stream);
        _published.Add(1, tag);
        _offered.Add(subscribers, tag);
    }

    public void FrameDropped(string stream) => _dropped.Add(1, new KeyValuePair<string, object?>("stream", stream));

    public void SubscriberAdded(string stream) => _subscribers.Add(1, new KeyValuePair<string, object?>("stream", stream));

    public void SubscriberRefused(string stream) => _refused.Add(1, new KeyValuePair<string, object?>("stream", stream));

    public void SubscriberRemoved(string stream) => _subscribers.Add(-1, new KeyValuePair<string, object?>("stream", stream));
}
