using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace GrpcStream.Testing;

/// <summary>
/// One in-process edge's own measurements, from its meter factory: exact counts without going through the
/// Prometheus text, for tests about a behaviour rather than about the exposition.
/// </summary>
public sealed class EdgeMetricsProbe : IDisposable
{
    private const string Meter = "GrpcStream.Edge";
    private readonly MetricCollector<long> _limitHits;
    private readonly MetricCollector<long> _framesDropped;
    private readonly MetricCollector<long> _sessions;
    private readonly MetricCollector<long> _receiverReports;
    private readonly MetricCollector<long> _rtcpIgnored;
    private readonly MetricCollector<long> _queuedPeak;
    private readonly MetricCollector<long> _authFailures;
    private readonly MetricCollector<long> _sessionsClosed;
    private readonly MetricCollector<long> _publishedFrames;
    private readonly MetricCollector<long> _publishedDropped;
    private readonly MetricCollector<long> _publishers;
    private readonly MetricCollector<long> _publishedRejected;
    private readonly MetricCollector<long> _failovers;
    private readonly MetricCollector<long> _failbacks;
    private readonly MetricCollector<long> _slateFrames;

    public EdgeMetricsProbe(IServiceProvider edgeServices)
    {
        var factory = edgeServices.GetRequiredService<IMeterFactory>();
        _limitHits = new(factory, Meter, "grpcstream.edge.limit.hits");
        _framesDropped = new(factory, Meter, "grpcstream.edge.frames.dropped");
        _sessions = new(factory, Meter, "grpcstream.edge.sessions");
        _receiverReports = new(factory, Meter, "grpcstream.edge.rtcp.receiver.reports");
        _rtcpIgnored = new(factory, Meter, "grpcstream.edge.rtcp.ignored");
        _queuedPeak = new(factory, Meter, "grpcstream.edge.queued.bytes.peak");
        _authFailures = new(factory, Meter, "grpcstream.edge.auth.failures");
        _sessionsClosed = new(factory, Meter, "grpcstream.edge.sessions.closed");
        _publishedFrames = new(factory, Meter, "grpcstream.edge.published.frames");
        _publishedDropped = new(factory, Meter, "grpcstream.edge.published.frames.dropped");
        _publishers = new(factory, Meter, "grpcstream.edge.publishers");
        _publishedRejected = new(factory, Meter, "grpcstream.edge.published.packets.rejected");
        _failovers = new(factory, Meter, "grpcstream.edge.origin.failovers");
        _failbacks = new(factory, Meter, "grpcstream.edge.origin.failbacks");
        _slateFrames = new(factory, Meter, "grpcstream.edge.slate.frames");
    }

    /// <summary>Sessions ended for <paramref name="reason"/> (teardown, timeout, kicked, drained...).</summary>
    public long SessionsClosed(string reason) => Sum(_sessionsClosed, "reason", reason);

    /// <summary>How often the limit named <paramref name="limit"/> (write_timeout, ...) was hit.</summary>
    public long LimitHits(string limit) => Sum(_limitHits, "limit", limit);

    public long FramesDropped(string transport) => Sum(_framesDropped, "transport", transport);

    public long Sessions(string transport) => Sum(_sessions, "transport", transport);

    public long ReceiverReports => Sum(_receiverReports, null, null);

    /// <summary>Whole frames received from publishers and forwarded to the origin.</summary>
    public long PublishedFrames => Sum(_publishedFrames, null, null);

    /// <summary>Publishers' packets rejected (not RTP/JPEG of the announced payload type and source).</summary>
    public long PublishedPacketsRejected => Sum(_publishedRejected, null, null);

    /// <summary>RTSP publishers now.</summary>
    public long Publishers => Sum(_publishers, null, null);

    /// <summary>Published frames dropped (a packet lost, or the queue to the origin full).</summary>
    public long PublishedFramesDropped => Sum(_publishedDropped, null, null);

    /// <summary>Published frames dropped for <paramref name="reason"/> (incomplete, duplicate, overlap, out_of_range, queue_full...).</summary>
    public long PublishedFramesDroppedFor(string reason) => Sum(_publishedDropped, "reason", reason);

    public long RtcpIgnored => Sum(_rtcpIgnored, null, null);

    /// <summary>Streams moved to another origin because theirs failed, to <paramref name="to"/>.</summary>
    public long Failovers(string to) => Sum(_failovers, "to", to);

    /// <summary>Streams moved back to the more preferred origin <paramref name="to"/>.</summary>
    public long Failbacks(string to) => Sum(_failbacks, "to", to);

    /// <summary>Slate frames sent.</summary>
    public long SlateFrames => Sum(_slateFrames, null, null);

    /// <summary>Credentials refused with <paramref name="status"/> (400, 401, 403).</summary>
    public long AuthFailures(int status) => Sum(_authFailures, "status", status.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The most bytes one connection has had queued (the gauge exported as queued_bytes_peak).</summary>
    public long QueuedBytesPeak
    {
        get
        {
            _queuedPeak.RecordObservableInstruments();
            return _queuedPeak.LastMeasurement?.Value ?? 0;
        }
    }

    private static long Sum(MetricCollector<long> collector, string? tag, string? value) =>
        collector.GetMeasurementSnapshot()
            .Where(m => tag is null || (m.Tags.TryGetValue(tag, out var v) && Equals(v, value)))
            .Sum(m => m.Value);

    public void Dispose()
    {
        _limitHits.Dispose();
        _authFailures.Dispose();
        _sessionsClosed.Dispose();
        _framesDropped.Dispose();
        _sessions.Dispose();
        _receiverReports.Dispose();
        _rtcpIgnored.Dispose();
        _queuedPeak.Dispose();
        _publishedFrames.Dispose();
        _publishedDropped.Dispose();
        _publishers.Dispose();
        _publishedRejected.Dispose();
        _failovers.Dispose();
        _failbacks.Dispose();
        _slateFrames.Dispose();
    }
}
