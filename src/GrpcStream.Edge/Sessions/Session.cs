namespace GrpcStream.Edge.Sessions;

/// <summary>What a session does with its stream.</summary>
internal enum SessionKind
{
    /// <summary>An RTSP player: frames from the stream to the client.</summary>
    Play,

    /// <summary>An HTTP viewer (MJPEG multipart): frames from the stream to a browser.</summary>
    View,

    /// <summary>An RTSP publisher (ANNOUNCE, RECORD): frames from the client into the stream at the origin.</summary>
    Record,
}

/// <summary>A session's traffic, as the control API shows it.</summary>
/// <param name="Frames">Whole frames sent (a player) or received and forwarded (a publisher).</param>
/// <param name="Packets">RTP packets sent; 0 for a publisher.</param>
/// <param name="Bytes">Bytes sent; 0 for a publisher.</param>
/// <param name="Dropped">Frames dropped: not sent to a slow client, or lost in transit from a publisher.</param>
internal readonly record struct SessionTraffic(long Frames, long Packets, long Bytes, long Dropped);

/// <summary>
/// What every session has, whatever its kind: an id, a stream, the client that owns it and since when. The one
/// registry (<see cref="SessionRegistry"/>), the control API's list and kick, and the watchers' events all work on
/// this; what moves media (a player's transport and sender, a publisher's depacketizer and publication) is the
/// kind's own.
/// </summary>
internal abstract class Session(string id, SessionKind kind, ISessionOwner owner, TimeProvider time)
{
    public string Id { get; } = id;

    public SessionKind Kind { get; } = kind;

    /// <summary>The client that set it up: its connection (or its HTTP request).</summary>
    public ISessionOwner Owner { get; } = owner;

    /// <summary>When the session was made.</summary>
    public DateTimeOffset Since { get; } = time.GetUtcNow();

    /// <summary>The stream it plays or publishes.</summary>
    public abstract string Stream { get; }

    /// <summary>How its media travels ("udp", "tcp", "lab", "http"); empty before a publisher's SETUP.</summary>
    public abstract string TransportKind { get; }

    /// <summary>Its state, as the control API names it ("ready", "playing", "recording", ...).</summary>
    public abstract string StateName { get; }

    /// <summary>Where its RTP goes over UDP; null otherwise.</summary>
    public abstract System.Net.IPEndPoint? RtpDestination { get; }

    public abstract SessionTraffic Traffic { get; }

    /// <summary>
    /// Lets go of what the session holds once it has left the registry (<see cref="SessionManager.Close"/>): a
    /// player sends its BYE and gives back its transport and stream; a publisher's publication ends with its
    /// connection, which the manager closes.
    /// </summary>
    internal abstract void End();
}
