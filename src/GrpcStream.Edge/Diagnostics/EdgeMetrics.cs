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
        _circuitOpen = meter.CreateUpDownCounter<long>("origin.circuit.open", description: "1 while the origin circuit breaker is open.");
        _badRequests = meter.CreateCounter<long>("bad.requests", description: "Malformed requests and misbehaving connections.");
    }

    public void SessionOpened(string transport, string stream) => _sessions.Add(1, Tag("transport", transport), Tag("stream", stream));

    public void SessionClosed(string transport, string stream) => _sessions.Add(-1, Tag("transport", transport), Tag("stream", stream));

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

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);
}
