using System.Diagnostics.Metrics;

namespace GrpcStream.Edge.Diagnostics;

/// <summary>The edge's metrics, exported at /metrics as grpcstream_edge_* (see <see cref="ServiceDefaults.Telemetry"/>).</summary>
internal sealed class EdgeMetrics
{
    public const string MeterName = "GrpcStream.Edge";

    // Instrument names carry the service, as Prometheus series do: grpcstream.edge.frames.sent is exported as
    // grpcstream_edge_frames_sent_total.
    private const string Prefix = "grpcstream.edge.";

    private readonly UpDownCounter<long> _sessions;
    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _frames;
    private readonly Counter<long> _packets;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _reportedLost;
    private readonly Counter<long> _reports;
    private readonly Counter<long> _reconnects;
    private readonly Counter<long> _outages;
    private readonly UpDownCounter<long> _circuitOpen;
    private readonly Counter<long> _badRequests;
    private readonly Counter<long> _closed;
    private readonly Counter<long> _limitHits;
    private readonly Counter<long> _rtcpIgnored;
    private readonly Counter<long> _authFailures;
    private readonly UpDownCounter<long> _publishers;
    private readonly Counter<long> _publishedFrames;
    private readonly Counter<long> _publishedDropped;
    private readonly Counter<long> _publishedRejected;
    private readonly Counter<long> _publishRefused;
    private readonly Counter<long> _failovers;
    private readonly Counter<long> _failbacks;
    private readonly Counter<long> _slateFrames;
    private readonly Counter<double> _slateTime;
    private readonly Histogram<double> _firstFrame;
    private readonly Histogram<double> _reconnectDuration;
    private long _queuedBytes;
    private long _queuedPeak;
    private Func<int>? _reconnectingStreams;
    private Func<IEnumerable<KeyValuePair<string, int>>>? _streamsByOrigin;
    private Func<int>? _streamsOnSlate;
    private Func<bool>? _draining;
    private Func<long>? _filmCacheBytes;
    private readonly Counter<long> _filmRuns;

    // Seconds: a first frame is due within milliseconds; an origin comes back within seconds or minutes.
    private static readonly double[] FirstFrameBuckets = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];
    private static readonly double[] ReconnectBuckets = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];

    public EdgeMetrics(IMeterFactory meterFactory, Microsoft.Extensions.Options.IOptions<Settings.EdgeOptions>? options = null)
    {
        var meter = meterFactory.Create(MeterName);
        _sessions = meter.CreateUpDownCounter<long>(Prefix + "sessions", description: "RTSP sessions by transport and stream.");
        _connections = meter.CreateUpDownCounter<long>(Prefix + "connections", description: "Open RTSP connections.");
        _frames = meter.CreateCounter<long>(Prefix + "frames.sent", description: "Frames sent to sessions.");
        _packets = meter.CreateCounter<long>(Prefix + "packets.sent", description: "RTP packets sent.");
        _bytes = meter.CreateCounter<long>(Prefix + "bytes.sent", description: "RTP bytes sent (headers included).");
        _dropped = meter.CreateCounter<long>(Prefix + "frames.dropped", description: "Whole frames dropped for readers that could not keep up.");
        _reportedLost = meter.CreateCounter<long>(Prefix + "rtcp.lost.packets", description: "Packets clients reported lost in RTCP receiver reports.");
        _reports = meter.CreateCounter<long>(Prefix + "rtcp.receiver.reports", description: "RTCP receiver reports received.");
        _reconnects = meter.CreateCounter<long>(Prefix + "origin.reconnects", description: "Attempts to reconnect to the origin.");
        _outages = meter.CreateCounter<long>(Prefix + "origin.outages", description: "Origin streams lost while being watched.");
        _circuitOpen = meter.CreateUpDownCounter<long>(Prefix + "origin.circuit.open", description: "Origins whose circuit breaker is open (connections to them are not tried).");
        _badRequests = meter.CreateCounter<long>(Prefix + "bad.requests", description: "Malformed requests and misbehaving connections.");
        _closed = meter.CreateCounter<long>(Prefix + "sessions.closed", description: "Sessions ended, by reason (teardown, timeout, kicked, error, shutdown, drained, replaced, disconnected).");
        _limitHits = meter.CreateCounter<long>(Prefix + "limit.hits", description: "Times a limit was reached, by limit (see EdgeLimits).");
        _authFailures = meter.CreateCounter<long>(Prefix + "auth.failures", description: "Credentials refused, by status: 400 malformed, 401 wrong, 403 not allowed (each one delays that address's next failed answer).");
        _rtcpIgnored = meter.CreateCounter<long>(Prefix + "rtcp.ignored", description: "RTCP packets that were invalid or named none of the session's sources (they keep nothing alive).");
        _publishers = meter.CreateUpDownCounter<long>(Prefix + "publishers", description: "RTSP publishers (ANNOUNCE) on this edge.");
        _publishedFrames = meter.CreateCounter<long>(Prefix + "published.frames", description: "Whole frames received from publishers and forwarded to the origin.");
        _publishedDropped = meter.CreateCounter<long>(Prefix + "published.frames.dropped", description: "Published frames dropped, by reason (incomplete: a packet lost; duplicate, overlap, out_of_range: fragments that do not cover the frame exactly once; too_large; bad_payload; queue_full: the origin slower than the publisher).");
        _publishedRejected = meter.CreateCounter<long>(Prefix + "published.packets.rejected", description: "Publishers' packets that were not RTP/JPEG of the session's source.");
        _publishRefused = meter.CreateCounter<long>(Prefix + "publish.refused", description: "Publishers refused, by reason (max_publishers, origin).");
        _failovers = meter.CreateCounter<long>(Prefix + "origin.failovers", description: "Streams moved to another origin because theirs failed, by origin left (from) and origin taken (to).");
        _failbacks = meter.CreateCounter<long>(Prefix + "origin.failbacks", description: "Streams moved back to a more preferred origin once it was healthy again (Edge:Origin:FailbackAfter).");
        _slateFrames = meter.CreateCounter<long>(Prefix + "slate.frames", description: "Generated \"stream unavailable\" frames sent while no origin delivered a stream.");
        _slateTime = meter.CreateCounter<double>(Prefix + "slate.time", unit: "s", description: "Time streams spent on the slate, summed over streams.");
        _firstFrame = meter.CreateHistogram(Prefix + "first_frame", unit: "s", description: "From a PLAY to the session's first frame handed to its transport.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FirstFrameBuckets });
        _reconnectDuration = meter.CreateHistogram(Prefix + "origin.reconnect.duration", unit: "s", description: "How long a watched stream received nothing from the origin before frames came again.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ReconnectBuckets });
        var maxSessions = options?.Value.Rtsp.MaxSessions ?? new Settings.RtspSettings().MaxSessions;
        meter.CreateObservableGauge(Prefix + "sessions.limit", () => maxSessions, description: "Edge:Rtsp:MaxSessions: the sessions this edge takes at most (for alerts on nearing it).");
        meter.CreateObservableGauge(Prefix + "origin.streams.reconnecting", () => _reconnectingStreams?.Invoke() ?? 0, description: "Watched streams receiving nothing from the origin now (the link retries them).");
        meter.CreateObservableGauge(Prefix + "origin.streams", () => (_streamsByOrigin?.Invoke() ?? []).Select(p => new Measurement<int>(p.Value, Tag("origin", p.Key))), description: "Watched streams receiving from each origin now.");
        meter.CreateObservableGauge(Prefix + "slate.streams", () => _streamsOnSlate?.Invoke() ?? 0, description: "Streams on the slate now.");
        _filmRuns = meter.CreateCounter<long>(Prefix + "ondemand.fetches", description: "Runs of films' frames asked of the origin (Edge:OnDemand:RunFrames each); many sessions' misses of one run are one fetch.");
        meter.CreateObservableGauge(Prefix + "ondemand.cache.bytes", () => _filmCacheBytes?.Invoke() ?? 0, description: "Bytes of films' frames held for on-demand sessions (at most Edge:OnDemand:CacheBytes).");
        meter.CreateObservableGauge(Prefix + "draining", () => _draining?.Invoke() == true ? 1 : 0, description: "1 while the edge is draining (new sessions refused).");
        meter.CreateObservableGauge(Prefix + "queued.bytes", () => Interlocked.Read(ref _queuedBytes), description: "Bytes waiting in all connections' outgoing queues.");
        meter.CreateObservableGauge(Prefix + "queued.bytes.peak", () => Interlocked.Read(ref _queuedPeak), description: "The most bytes one connection has had waiting to be sent, since start.");
    }

    /// <summary>Where the origin link's count of streams not receiving is read from.</summary>
    public void ObserveOriginLink(Func<int> reconnectingStreams, Func<IEnumerable<KeyValuePair<string, int>>> streamsByOrigin) =>
        (_reconnectingStreams, _streamsByOrigin) = (reconnectingStreams, streamsByOrigin);

    /// <summary>Where the films' cache size is read from.</summary>
    public void ObserveFilmCache(Func<long> bytes) => _filmCacheBytes = bytes;

    public void FilmRunFetched() => _filmRuns.Add(1);

    /// <summary>Where the count of streams on the slate is read from.</summary>
    public void ObserveSlate(Func<int> streamsOnSlate) => _streamsOnSlate = streamsOnSlate;

    public void OriginSwitched(string from, string to, bool failback) =>
        (failback ? _failbacks : _failovers).Add(1, Tag("from", from), Tag("to", to));

    public void SlateFrame(TimeSpan sinceLast)
    {
        _slateFrames.Add(1);
        _slateTime.Add(sinceLast.TotalSeconds);
    }

    /// <summary>Where whether the edge is draining is read from.</summary>
    public void ObserveDrain(Func<bool> draining) => _draining = draining;

    public void FirstFrame(TimeSpan afterPlay) => _firstFrame.Record(afterPlay.TotalSeconds);

    public void OriginReconnected(TimeSpan outage) => _reconnectDuration.Record(outage.TotalSeconds);

    public void SessionOpened(string transport, string stream) => _sessions.Add(1, Tag("transport", transport), Tag("stream", stream));

    /// <param name="transport">The session's transport.</param>
    /// <param name="stream">Its stream.</param>
    /// <param name="reason">Why it ended, as the label says it (teardown, timeout, kicked...).</param>
    public void SessionClosed(string transport, string stream, string reason)
    {
        _sessions.Add(-1, Tag("transport", transport), Tag("stream", stream));
        _closed.Add(1, Tag("reason", reason));
    }

    public void PublisherStarted() => _publishers.Add(1);

    public void PublisherEnded() => _publishers.Add(-1);

    public void PublishedFrame() => _publishedFrames.Add(1);

    public void PublishedFrameDropped(string reason) => _publishedDropped.Add(1, Tag("reason", reason));

    public void PublishedPacketRejected() => _publishedRejected.Add(1);

    public void PublishRefused(string reason) => _publishRefused.Add(1, Tag("reason", reason));

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionClosed() => _connections.Add(-1);

    public void FrameSent(string transport, int packets, long bytes)
    {
        var tag = Tag("transport", transport);
        _frames.Add(1, tag);
        _packets.Add(packets, tag);
        _bytes.Add(bytes, tag);
    }

    public void FrameDropped(string transport) => _dropped.Add(1, Tag("transport", transport));

    public void ReceiverReport(long newlyLost)
    {
        _reports.Add(1);
        if (newlyLost > 0)
        {
            _reportedLost.Add(newlyLost);
        }
    }

    public void OriginReconnect() => _reconnects.Add(1);

    public void OriginOutage() => _outages.Add(1);

    public void CircuitChanged(bool open) => _circuitOpen.Add(open ? 1 : -1);

    public void BadRequest() => _badRequests.Add(1);

    /// <param name="limit">One of <see cref="EdgeLimits"/>.</param>
    public void LimitHit(string limit) => _limitHits.Add(1, Tag("limit", limit));

    public void RtcpIgnored() => _rtcpIgnored.Add(1);

    /// <summary>A presented credential refused: 400 (malformed), 401 (wrong) or 403 (not allowed).</summary>
    public void AuthFailed(int status) => _authFailures.Add(1, Tag("status", status.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>A connection's queue grew or shrank by <paramref name="delta"/> to <paramref name="connectionTotal"/>.</summary>
    public void QueuedBytesChanged(long delta, long connectionTotal)
    {
        Interlocked.Add(ref _queuedBytes, delta);
        var peak = Interlocked.Read(ref _queuedPeak);
        while (connectionTotal > peak)
        {
            var seen = Interlocked.CompareExchange(ref _queuedPeak, connectionTotal, peak);
            if (seen == peak)
            {
                break;
            }

            peak = seen;
        }
    }

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);
}

/// <summary>The names of the limits counted in <c>grpcstream_edge_limit_hits{limit=...}</c>.</summary>
internal static class EdgeLimits
{
    public const string MaxConnections = "max_connections";
    public const string MaxConnectionsPerAddress = "max_connections_per_address";
    public const string MaxSessions = "max_sessions";
    public const string MaxSessionsPerConnection = "max_sessions_per_connection";
    public const string WriteTimeout = "write_timeout";
    public const string RequestTimeout = "request_timeout";
    public const string QueuedBytes = "max_queued_bytes";
    public const string UdpDestination = "udp_destination";
    public const string FileDescriptors = "file_descriptors";

    /// <summary>A control API watcher refused: <c>Edge:Control:MaxWatchers</c> are watching.</summary>
    public const string MaxWatchers = "max_watchers";

    /// <summary>A control API watcher ended because it fell <c>Edge:Control:WatchQueue</c> events behind.</summary>
    public const string WatchQueue = "watch_queue";

    /// <summary>An HTTP viewer refused: <c>Edge:Http:MaxViewers</c> are watching.</summary>
    public const string MaxViewers = "max_http_viewers";

    /// <summary>An HTTP viewer closed because its writes made no progress for <c>Edge:Http:WriteTimeout</c>.</summary>
    public const string HttpWriteTimeout = "http_write_timeout";

    /// <summary>An RTSPS client whose TLS handshake failed or did not finish within the request timeout.</summary>
    public const string TlsHandshake = "tls_handshake";

    /// <summary>A login refused unchecked: its client address had used <c>Edge:Auth:FailuresPerAddress</c>.</summary>
    public const string FailuresPerAddress = "auth_failures_per_address";

    /// <summary>A login refused unchecked: its user name had used <c>Edge:Auth:FailuresPerUser</c>.</summary>
    public const string FailuresPerUser = "auth_failures_per_user";

    /// <summary>A password refused unchecked: the costly checks allowed at once, queued, or for its address were under way.</summary>
    public const string PasswordChecks = "password_checks";

    /// <summary>An HTTP connection refused: <c>Edge:Http:MaxConnectionsPerAddress</c> are open from its address.</summary>
    public const string HttpConnectionsPerAddress = "http_connections_per_address";

    /// <summary>An HTTP viewer refused: <c>Edge:Http:MaxViewersPerAddress</c> are watching from its address.</summary>
    public const string HttpViewersPerAddress = "http_viewers_per_address";

    /// <summary>A publisher's SETUP over UDP refused: another publishing session of its address holds those client ports.</summary>
    public const string PublisherPorts = "publisher_ports";
}
