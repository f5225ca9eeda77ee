using GrpcStream.Edge.Rtp;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;

namespace GrpcStream.Edge.Sessions;

/// <summary>
/// The media of a player's or viewer's session: the frame source it reads, the transport its packets travel
/// over, and its RTP numbering. The source hands it frames while the session plays.
/// </summary>
internal sealed class PlayMedia(IFrameSource source, IMediaTransport transport, RtpSender sender, TimeProvider time, Action<TimeSpan>? firstFrame = null)
    : SessionMedia, IFrameSink, ITransportSession
{
    private long _playAskedAt;

    /// <summary>Where its frames come from: a live stream today.</summary>
    public IFrameSource Source { get; } = source;

    public IMediaTransport Transport { get; } = transport;

    public RtpSender Sender { get; } = sender;

    public override string Stream => Source.Name;

    public override string TransportKind => Transport.Kind;

    public override System.Net.IPEndPoint? RtpDestination => Transport.Destination;

    public override SessionTraffic Traffic => new(Sender.FramesSent, Sender.PacketsSent, Sender.OctetsSent, Sender.FramesDropped);

    /// <summary>Starts the frames if the session is playing (after a PLAY's answer is queued, so that it goes out first).</summary>
    public void StartSending()
    {
        if (Session.State == SessionState.Playing)
        {
            Source.Play(this);
        }
    }

    /// <summary>Called by the source for every frame while playing.</summary>
    public void Send(SharedFrame frame)
    {
        Transport.SendFrame(Sender, frame);
        if (Volatile.Read(ref _playAskedAt) is not 0 and var asked && Interlocked.CompareExchange(ref _playAskedAt, 0, asked) == asked)
        {
            firstFrame?.Invoke(time.GetElapsedTime(asked));
        }
    }

    /// <summary>
    /// The film played to its end: RTCP BYE, so that players end the play by themselves (the session stays, and a
    /// PLAY with a Range plays again); an HTTP viewer's response ends.
    /// </summary>
    public void Ended()
    {
        SendReport(bye: true);
        Transport.StreamEnded();
    }

    /// <summary>The client reported on the session (RTCP): it is alive.</summary>
    public void Touch() => Session.Touch();

    /// <summary>Sends an RTCP sender report (and a BYE when the session ends).</summary>
    public void SendReport(bool bye)
    {
        Span<byte> buffer = stackalloc byte[256];
        var length = Sender.WriteReport(buffer, Source.LatestTime, bye);
        Transport.SendRtcp(buffer[..length]);
    }

    // The time from PLAY to the first frame sent is measured: the wait a viewer sees.
    protected internal override void Started() => Volatile.Write(ref _playAskedAt, time.GetTimestamp());

    protected internal override void Stopped() => Source.Pause(this);

    /// <summary>Says BYE, and gives back its transport and its stream.</summary>
    protected internal override void End()
    {
        SendReport(bye: true);
        Transport.Detach();
        Source.Release();
    }
}
