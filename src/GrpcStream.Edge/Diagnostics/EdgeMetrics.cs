using System.Diagnostics.Metrics;

namespace GrpcStream.Edge.Diagnostics;

/// <summary>The edge's metrics, exported at /metrics as grpcstream_edge_*.</summary>
internal sealed class EdgeMetrics
{
    public const string MeterName = "GrpcStream.Edge";

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
    private long _queuedBytes;
    private long _queuedPeak;

    public EdgeMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _sessions = meter.CreateUpDownCounter<long>("sessions", description: "RTSP sessions by transport and stream.");
        _connections = meter.CreateUpDownCounter<long>("connections", description: "Open RTSP connections.");
        _frames = meter.CreateCounter<long>("frames.sent", description: "Frames sent to sessions.");
        _packets = meter.CreateCounter<long>("packets.sent", description: "RTP packets sent.");
        _bytes = meter.CreateCounter<long>("bytes.sent", description: "RTP bytes sent (headers included).");
        _dropped = meter.CreateCounter<long>("frames.dropped", description: "Whole frames dropped for readers that could not keep up.");
        _reportedLost = meter.CreateCounter<long>("rtcp.lost.packets", description: "Packets clients reported lost in RTCP receiver reports.");
        _reports = meter.CreateCounter<long>("rtcp.receiver.reports", description: "RTCP receiver reports received.");
        _reconnects = meter.CreateCounter<long>("origin.reconnects", description: "Attempts to reconnect to the origin.");
        _outages = meter.CreateCounter<long>("origin.outages", description: "Origin streams lost while being watched.");
        _circuitOpen = meter.CreateUpDownCounter<long>("origin.circuit.open", description: "Streams whose origin circuit breaker is open.");
        _badRequests = meter.CreateCounter<long>("bad.requests", description: "Malformed requests and misbehaving connections.");
        _closed = meter.CreateCounter<long>("sessions.closed", description: "Sessions ended, by reason (teardown, timeout, kicked, error, shutdown, drained, replaced, disconnected).");
        _limitHits = meter.CreateCounter<long>("limit.hits", description: "Times a limit was reached, by limit (see EdgeLimits).");
        _authFailures = meter.CreateCounter<long>("auth.failures", description: "Credentials refused, by status: 400 malformed, 401 wrong, 403 not allowed (each one delays that address's next failed answer).");
        _rtcpIgnored = meter.CreateCounter<long>("rtcp.ignored", description: "RTCP packets that were invalid or named none of the session's sources (they keep nothing alive).");
        meter.CreateObservableGauge("queued.bytes", () => Interlocked.Read(ref _queuedBytes), description: "Bytes waiting in all connections' outgoing queues.");
        meter.CreateObservableGauge("queued.bytes.peak", () => Interlocked.Read(ref _queuedPeak), description: "The most bytes one connection has had waiting to be sent, since start.");
    }

    public void SessionOpened(string transport, string stream) => _sessions.Add(1, Tag("transport", transport), Tag("stream", stream));

    public void SessionClosed(string transport, string stream, Sessions.SessionEndReason reason)
    {
        _sessions.Add(-1, Tag("transport", transport), Tag("stream", stream));
        _closed.Add(1, Tag("reason", ReasonNames[(int)reason]));
    }

    private static readonly string[] ReasonNames = [.. Enum.GetNames<Sessions.SessionEndReason>().Select(n => n.ToLowerInvariant())];

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

    /// <summary>An RTSPS client whose TLS handshake failed or did not finish within the request timeout.</summary>
    public const string TlsHandshake = "tls_handshake";
}
