namespace GrpcStream.Edge.Sessions;

/// <summary>
/// What moves a session's media, by kind: <see cref="PlayMedia"/> sends a stream to a client,
/// <see cref="RecordMedia"/> takes one from it. The <see cref="Session"/> owns the state and tells its media when
/// it starts, stops and ends; the media never changes the state.
/// </summary>
internal abstract class SessionMedia
{
    private Session? _session;

    /// <summary>The session this media belongs to (set once, when the session is made).</summary>
    public Session Session => _session ?? throw new InvalidOperationException("the media is not a session's yet");

    public abstract string Stream { get; }

    /// <summary>How the media travels ("udp", "tcp", "lab", "http"); empty before a publisher's SETUP.</summary>
    public abstract string TransportKind { get; }

    /// <summary>Where its RTP goes over UDP; null otherwise.</summary>
    public abstract System.Net.IPEndPoint? RtpDestination { get; }

    public abstract SessionTraffic Traffic { get; }

    internal void Bind(Session session)
    {
        if (Interlocked.CompareExchange(ref _session, session, null) is not null)
        {
            throw new InvalidOperationException("the media is another session's");
        }
    }

    /// <summary>The session entered the state where media flows (PLAY, RECORD). Called under the session's lock.</summary>
    protected internal abstract void Started();

    /// <summary>The session left it (PAUSE, TEARDOWN): no media moves once this returns. Called under the session's lock.</summary>
    protected internal abstract void Stopped();

    /// <summary>The session has ended and left the registry: what the media holds is let go.</summary>
    protected internal abstract void End();
}
