using System.Buffers;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Edge.Requests;

/// <summary>
/// The RTSP side of one connection: its dialect (fixed by its first request), the sessions it set up, and its
/// interleaved channels. The connection gives it messages; it gives them to the router.
/// </summary>
internal sealed class ClientContext(IClientConnection connection, RequestRouter router, SessionManager sessions, EdgeMetrics metrics) : IRtspConnectionHandler, ISessionOwner
{
    private readonly List<Session> _sessions = [];
    private RtspDialect? _dialect;

    public IClientConnection Connection { get; } = connection;

    /// <summary>How the client speaks; until its first request, the standard dialect.</summary>
    public RtspDialect Dialect => _dialect ?? RtspDialect.Standard;

    public InterleavedChannels Channels { get; } = new();

    /// <summary>What a transport made for this client needs of it: its address, channels and output.</summary>
    public TransportClient TransportClient => new(Connection.Remote.Address, Channels, Connection);

    /// <summary>The connection's publisher session, from ANNOUNCE until TEARDOWN or the connection's end.</summary>
    public Session? Publisher { get; set; }

    public int SessionCount
    {
        get
        {
            lock (_sessions)
            {
                return _sessions.Count;
            }
        }
    }

    // A publisher keeps its connection open with its own bytes (interleaved RTP, or datagrams over UDP): one silent
    // for the session timeout is let go, and with it the name it holds at the origin.
    public bool KeepsConnectionOpen => SessionCount > 0 || (Publisher is { } publisher && router.ReceivingOverUdp(publisher.Recorder));

    public System.Net.IPEndPoint Remote => Connection.Remote;

    public void Disconnect() => Connection.Abort();

    // Before the first request, a request line that names a bare stream may be the lab client's.
    public bool MayEndAtQuietGap(in ReadOnlySequence<byte> pending) => (_dialect ?? RtspDialect.Lab).MayEndAtQuietGap(pending);

    public ValueTask OnMessageAsync(RtspMessage message)
    {
        if (!message.IsRequest)
        {
            return ValueTask.CompletedTask; // a response from the client (to nothing we asked): ignored
        }

        _dialect ??= RtspDialect.Of(message);
        return router.HandleAsync(this, message);
    }

    public void OnInterleaved(in InterleavedFrame frame)
    {
        // A publisher's RTP on its even channel.
        if (Publisher?.Recorder is { RtpChannel: { } rtp } recorder && frame.Channel == rtp)
        {
            recorder.OnRtp(frame.Payload);
            return;
        }

        // Clients send RTCP receiver reports on the odd channel of their session's pair; anything else is ignored.
        if (Channels.RtcpOwner(frame.Channel) is not { } session)
        {
            return;
        }

        if (frame.Payload.IsSingleSegment)
        {
            RtcpReports.Apply(frame.Payload.FirstSpan, session, metrics);
            return;
        }

        // A report split across read buffers: small, and bounded by the 16-bit length.
        var rented = ArrayPool<byte>.Shared.Rent((int)frame.Payload.Length);
        frame.Payload.CopyTo(rented);
        RtcpReports.Apply(rented.AsSpan(0, (int)frame.Payload.Length), session, metrics);
        ArrayPool<byte>.Shared.Return(rented);
    }

    public byte[] ErrorResponse(int statusCode) => Dialect.Write(new RtspResponse(statusCode), 0);

    /// <summary>A session of this connection, of any kind: another client's session id is as unknown as a made-up one.</summary>
    public bool TryGetSession(string? header, out Session session)
    {
        session = null!;
        if (header is null)
        {
            return false;
        }

        SessionHeader parsed;
        try
        {
            parsed = SessionHeader.Parse(header);
        }
        catch (RtspHeaderException)
        {
            return false;
        }

        if (sessions.Registry.TryGet(parsed.Id, out var found) && found.Owner == this)
        {
            session = found;
            return true;
        }

        return false;
    }

    public void Add(Session session)
    {
        lock (_sessions)
        {
            _sessions.Add(session);
        }
    }

    public void Remove(Session session)
    {
        lock (_sessions)
        {
            _sessions.Remove(session);
        }
    }

    /// <summary>Ends every session of the connection (it is closing).</summary>
    public void CloseSessions(SessionEndReason reason, string? detail)
    {
        Session[] open;
        lock (_sessions)
        {
            open = [.. _sessions];
        }

        foreach (var session in open)
        {
            sessions.Close(session, reason, detail);
        }
    }
}
