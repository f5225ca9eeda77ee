using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Edge.Sessions;

/// <summary>What a session does with its stream.</summary>
public enum SessionKind
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
/// One session of any kind: its id, the client that owns it, its state (one machine for every kind,
/// <see cref="SessionStateMachine"/>) and its liveness. What moves its media is its <see cref="SessionMedia"/>: a
/// player's or viewer's <see cref="PlayMedia"/> (a frame source, a transport, an RTP sender), or a publisher's
/// <see cref="RecordMedia"/> (a depacketizer and a publication). The session starts and stops its media as it
/// enters and leaves the state where media flows. Knows nothing of sockets: fakes and a fake clock drive it.
/// </summary>
internal sealed class Session
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private long _lastActivity;
    private PlayMedia? _player;
    private RecordMedia? _recorder;

    private Session(string id, SessionKind kind, ISessionOwner owner, SessionMedia media, TimeProvider time, SessionState state)
    {
        Id = id;
        Kind = kind;
        Owner = owner;
        Media = media;
        State = state;
        _time = time;
        Since = time.GetUtcNow();
        _lastActivity = time.GetTimestamp();
        media.Bind(this);
    }

    /// <summary>A player's session (<paramref name="kind"/> Play) or an HTTP viewer's (View), made Ready by its SETUP or its request.</summary>
    public static Session ForPlayer(string id, SessionKind kind, ISessionOwner owner, PlayMedia media, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfEqual(kind, SessionKind.Record);
        return new Session(id, kind, owner, media, time, SessionState.Ready) { _player = media };
    }

    /// <summary>A publisher's session, made by its ANNOUNCE (Init until its SETUP).</summary>
    public static Session ForPublisher(string id, ISessionOwner owner, RecordMedia media, TimeProvider time) =>
        new(id, SessionKind.Record, owner, media, time, SessionState.Init) { _recorder = media };

    public string Id { get; }

    public SessionKind Kind { get; }

    /// <summary>The client that set it up: its connection (or its HTTP request).</summary>
    public ISessionOwner Owner { get; }

    /// <summary>When the session was made.</summary>
    public DateTimeOffset Since { get; }

    public SessionMedia Media { get; }

    /// <summary>A player's or viewer's media; throws for a publisher.</summary>
    public PlayMedia Player => _player ?? throw new InvalidOperationException($"session {Id} is a publisher's");

    /// <summary>A publisher's media; throws for a player or viewer.</summary>
    public RecordMedia Recorder => _recorder ?? throw new InvalidOperationException($"session {Id} is a player's");

    public SessionState State { get; private set; }

    /// <summary>The stream it plays or publishes.</summary>
    public string Stream => Media.Stream;

    /// <summary>Its state, as the control API names it ("ready", "playing", "recording", ...).</summary>
    public string StateName => State.ToString().ToLowerInvariant();

    /// <summary>How its media travels ("udp", "tcp", "lab", "http"); empty before a publisher's SETUP.</summary>
    public string TransportKind => Media.TransportKind;

    /// <summary>Where its RTP goes over UDP; null otherwise.</summary>
    public System.Net.IPEndPoint? RtpDestination => Media.RtpDestination;

    public SessionTraffic Traffic => Media.Traffic;

    /// <summary>Whether <paramref name="method"/> is valid in the current state, without taking it.</summary>
    public bool Allows(RtspMethod method) => SessionStateMachine.TryNext(Kind, State, method, out _);

    /// <summary>The methods valid now, as an Allow header.</summary>
    public string Allowed => SessionStateMachine.Allowed(Kind, State);

    /// <summary>
    /// Takes <paramref name="method"/> through the state machine: false, and nothing changes, when it is not valid
    /// in the current state. Leaving the state where media flows stops the media at once; entering it readies the
    /// media, which a player starts only once the answer is queued (<see cref="PlayMedia.StartSending"/>).
    /// </summary>
    public bool TryApply(RtspMethod method)
    {
        lock (_gate)
        {
            if (!SessionStateMachine.TryNext(Kind, State, method, out var next))
            {
                return false;
            }

            var wasActive = SessionStateMachine.IsActive(State);
            var isActive = SessionStateMachine.IsActive(next);
            State = next;
            if (!wasActive && isActive)
            {
                Media.Started();
            }
            else if (wasActive && !isActive)
            {
                Media.Stopped();
            }

            return true;
        }
    }

    /// <summary>Marks the session alive (any request on it, or an RTCP report about it from its client).</summary>
    public void Touch() => Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());

    public bool IsExpired(TimeSpan timeout) => _time.GetElapsedTime(Interlocked.Read(ref _lastActivity)) > timeout;

    /// <summary>
    /// Lets go of what the session holds once it has left the registry (<see cref="SessionManager.Close"/>): its
    /// media stops, then ends (a player says BYE and gives back its transport and stream; a publisher's
    /// connection closes, which ends its publication).
    /// </summary>
    internal void End()
    {
        TryApply(RtspMethod.Teardown);
        Media.End();
    }
}
