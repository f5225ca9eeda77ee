using GrpcStream.Edge.Rtp;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Edge.Sessions;

/// <summary>Who set a session up, and so may use it: one client connection.</summary>
internal interface ISessionOwner
{
    int SessionCount { get; }

    /// <summary>The client's end of the RTSP connection.</summary>
    System.Net.IPEndPoint Remote { get; }

    /// <summary>Closes the connection (a kicked client's last session has ended).</summary>
    void Disconnect();

    void Add(RtspSession session);

    void Remove(RtspSession session);
}

/// <summary>
/// One client's session: its state (RFC 2326's machine), the stream it plays, its transport and its RTP sender.
/// Knows nothing of sockets: a fake feed, transport and clock are enough to drive it.
/// </summary>
internal sealed class RtspSession : Session, IFrameSink, ITransportSession
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Action<TimeSpan>? _firstFrame;
    private long _lastActivity;
    private long _playAskedAt;

    /// <param name="id">The RTSP Session id.</param>
    /// <param name="feed">The stream it plays.</param>
    /// <param name="transport">How its packets travel.</param>
    /// <param name="sender">Its RTP numbering and counts.</param>
    /// <param name="owner">The connection that set it up.</param>
    /// <param name="time">The clock.</param>
    /// <param name="firstFrame">Told how long each PLAY waited for its first frame.</param>
    /// <param name="kind">An RTSP player, or an HTTP viewer.</param>
    public RtspSession(string id, IStreamFeed feed, IMediaTransport transport, RtpSender sender, ISessionOwner owner, TimeProvider time, Action<TimeSpan>? firstFrame = null, SessionKind kind = SessionKind.Play)
        : base(id, kind, owner, time)
    {
        _firstFrame = firstFrame;
        Feed = feed;
        Transport = transport;
        Sender = sender;
        _time = time;
        _lastActivity = time.GetTimestamp();
    }

    public IStreamFeed Feed { get; }

    public IMediaTransport Transport { get; }

    public RtpSender Sender { get; }

    public override string Stream => Feed.Name;

    public override string TransportKind => Transport.Kind;

    public override string StateName => State.ToString().ToLowerInvariant();

    public override System.Net.IPEndPoint? RtpDestination => Transport.Destination;

    public override SessionTraffic Traffic => new(Sender.FramesSent, Sender.PacketsSent, Sender.OctetsSent, Sender.FramesDropped);

    public SessionState State { get; private set; } = SessionState.Ready;

    /// <summary>Marks the session alive (any request on it, or an RTCP report about it from its client).</summary>
    public void Touch() => Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());

    public bool IsExpired(TimeSpan timeout) => _time.GetElapsedTime(Interlocked.Read(ref _lastActivity)) > timeout;

    /// <summary>
    /// Takes <paramref name="method"/> through the state machine: false, and nothing changes, when it is not
    /// valid in the current state. Leaving Playing stops the frames at once; entering it waits for
    /// <see cref="StartSending"/>, so that the answer goes out before the first frame.
    /// </summary>
    public bool TryApply(RtspMethod method)
    {
        lock (_gate)
        {
            if (!SessionStateMachine.TryNext(State, method, out var next))
            {
                return false;
            }

            var wasPlaying = State == SessionState.Playing;
            if (!wasPlaying && next == SessionState.Playing)
            {
                Volatile.Write(ref _playAskedAt, _time.GetTimestamp());
            }

            State = next;
            if (wasPlaying && next != SessionState.Playing)
            {
                Feed.Pause(this);
            }

            return true;
        }
    }

    /// <summary>Starts the frames if the session is playing (after a PLAY's answer is queued).</summary>
    public void StartSending()
    {
        if (State == SessionState.Playing)
        {
            Feed.Play(this);
        }
    }

    /// <summary>Called by the feed for every frame while playing.</summary>
    public void Send(SharedFrame frame)
    {
        Transport.SendFrame(Sender, frame);
        if (Volatile.Read(ref _playAskedAt) is not 0 and var asked && Interlocked.CompareExchange(ref _playAskedAt, 0, asked) == asked)
        {
            _firstFrame?.Invoke(_time.GetElapsedTime(asked));
        }
    }

    /// <summary>Out of the registry: stops, says BYE, and gives back its transport and its stream.</summary>
    internal override void End()
    {
        TryApply(RtspMethod.Teardown);
        SendReport(bye: true);
        Transport.Detach();
        Feed.Release();
    }

    /// <summary>Sends an RTCP sender report (and a BYE when the session ends).</summary>
    public void SendReport(bool bye)
    {
        Span<byte> buffer = stackalloc byte[256];
        var length = Sender.WriteReport(buffer, Feed.LatestTime, bye);
        Transport.SendRtcp(buffer[..length]);
    }
}
