using GrpcStream.Edge.Rtp;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Tests.Fakes;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtcp;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Edge.Tests.Sessions;

/// <summary>
/// Sessions of every kind driven without sockets: a fake frame source, transport, publication and clock. One state
/// machine takes each kind through its states; the media starts and stops with it.
/// </summary>
public class SessionTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly FakeFeed _feed = new();
    private readonly FakeTransport _transport = new();
    private readonly FakeOwner _owner = new();

    [Fact]
    public void Play_starts_frames_only_once_the_answer_is_out_and_pause_stops_them_at_once()
    {
        var session = NewSession();

        Assert.True(session.TryApply(RtspMethod.Play));
        Assert.Equal(SessionState.Playing, session.State);
        Assert.Empty(_feed.Playing); // the answer has not been queued yet

        session.Player.StartSending();
        Assert.Same(session.Player, Assert.Single(_feed.Playing));

        Assert.True(session.TryApply(RtspMethod.Pause));
        Assert.Equal(SessionState.Ready, session.State);
        Assert.Empty(_feed.Playing);

        session.Player.StartSending(); // a paused session does not start
        Assert.Empty(_feed.Playing);
    }

    [Fact]
    public void An_invalid_method_changes_nothing()
    {
        var session = NewSession();

        Assert.False(session.TryApply(RtspMethod.Pause));
        Assert.Equal(SessionState.Ready, session.State);
        Assert.False(session.TryApply(RtspMethod.Record));
        Assert.Equal(SessionState.Ready, session.State);
    }

    [Fact]
    public void Teardown_while_playing_stops_the_frames()
    {
        var session = NewSession();
        session.TryApply(RtspMethod.Play);
        session.Player.StartSending();

        Assert.True(session.TryApply(RtspMethod.Teardown));

        Assert.Equal(SessionState.Init, session.State);
        Assert.Empty(_feed.Playing);
    }

    [Fact]
    public void A_session_expires_after_its_timeout_without_a_touch_and_not_before()
    {
        var session = NewSession();
        var timeout = TimeSpan.FromSeconds(60);

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(session.IsExpired(timeout));
        session.Touch();
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(session.IsExpired(timeout));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(session.IsExpired(timeout));
    }

    [Fact]
    public void Frames_go_through_the_transport_with_the_senders_numbering()
    {
        var session = NewSession().Player;

        session.Send(EdgeParts.Frame(pts: 3600));
        session.Send(EdgeParts.Frame(pts: 7200));

        Assert.Equal(2, _transport.Frames.Count);
        var (first, second) = (_transport.Frames[0], _transport.Frames[1]);
        Assert.Equal((ushort)100, first.FirstSequence);
        Assert.Equal((ushort)(100 + first.Packets), second.FirstSequence);
        Assert.Equal(3600u + 1000u, first.Timestamp);
        Assert.Equal(7200u + 1000u, second.Timestamp);
        Assert.Equal(2, session.Sender.FramesSent);
    }

    [Fact]
    public void A_report_is_a_sender_report_with_sdes_and_a_bye_only_when_asked()
    {
        var session = NewSession().Player;

        session.SendReport(bye: false);
        session.SendReport(bye: true);

        Assert.Equal([RtcpPacketType.SenderReport, RtcpPacketType.SourceDescription], Types(_transport.Rtcp[0]));
        Assert.Equal([RtcpPacketType.SenderReport, RtcpPacketType.SourceDescription, RtcpPacketType.Goodbye], Types(_transport.Rtcp[1]));
    }

    [Theory]
    [InlineData(SessionKind.Play)]
    [InlineData(SessionKind.View)]
    public void A_player_or_viewer_goes_from_ready_to_playing_and_back_and_cannot_record(SessionKind kind)
    {
        var session = NewSession(kind);
        List<(RtspMethod Method, bool Valid, SessionState State, int Playing)> steps = [];
        foreach (var method in new[] { RtspMethod.Record, RtspMethod.Play, RtspMethod.Record, RtspMethod.GetParameter, RtspMethod.Pause, RtspMethod.Pause, RtspMethod.Play, RtspMethod.Teardown, RtspMethod.Play })
        {
            var valid = session.TryApply(method);
            session.Player.StartSending();
            steps.Add((method, valid, session.State, _feed.Playing.Count));
        }

        Assert.Equal(
            [
                (RtspMethod.Record, false, SessionState.Ready, 0),
                (RtspMethod.Play, true, SessionState.Playing, 1),
                (RtspMethod.Record, false, SessionState.Playing, 1),
                (RtspMethod.GetParameter, true, SessionState.Playing, 1),
                (RtspMethod.Pause, true, SessionState.Ready, 0),
                (RtspMethod.Pause, false, SessionState.Ready, 0),
                (RtspMethod.Play, true, SessionState.Playing, 1),
                (RtspMethod.Teardown, true, SessionState.Init, 0),
                (RtspMethod.Play, false, SessionState.Init, 0),
            ],
            steps);
        Assert.Equal("OPTIONS, DESCRIBE, SETUP, TEARDOWN, GET_PARAMETER, SET_PARAMETER", session.Allowed);
        Assert.Throws<InvalidOperationException>(() => session.Recorder);
    }

    [Fact]
    public void A_publisher_goes_from_init_through_setup_to_recording_and_back_and_cannot_play()
    {
        var publication = new FakePublication();
        var session = Session.ForPublisher("2", _owner, RecordMediaTests.NewMedia(publication, _time), _time);
        var jpeg = EdgeParts.Jpeg();
        var sequence = (ushort)1;
        List<(RtspMethod Method, bool Valid, SessionState State, int Offered)> steps = [];
        foreach (var method in new[] { RtspMethod.Record, RtspMethod.Play, RtspMethod.Setup, RtspMethod.Setup, RtspMethod.Record, RtspMethod.Play, RtspMethod.Pause, RtspMethod.Record, RtspMethod.Teardown })
        {
            var valid = session.TryApply(method);

            // A frame arrives after each step: only a recording session takes it.
            foreach (var packet in RecordMediaTests.Packets(jpeg, sequence, sequence * 3600u))
            {
                session.Recorder.OnDatagram(packet);
                sequence++;
            }

            steps.Add((method, valid, session.State, publication.Offered.Count));
        }

        Assert.Equal(
            [
                (RtspMethod.Record, false, SessionState.Init, 0),
                (RtspMethod.Play, false, SessionState.Init, 0),
                (RtspMethod.Setup, true, SessionState.Ready, 0),
                (RtspMethod.Setup, false, SessionState.Ready, 0),
                (RtspMethod.Record, true, SessionState.Recording, 1),
                (RtspMethod.Play, false, SessionState.Recording, 2),
                (RtspMethod.Pause, true, SessionState.Ready, 2),
                (RtspMethod.Record, true, SessionState.Recording, 3),
                (RtspMethod.Teardown, true, SessionState.Init, 3),
            ],
            steps);
        Assert.Equal(("init", SessionKind.Record, "live/cam"), (session.StateName, session.Kind, session.Stream));
        Assert.Throws<InvalidOperationException>(() => session.Player);
    }

    [Theory]
    [InlineData(SessionKind.Play)]
    [InlineData(SessionKind.View)]
    [InlineData(SessionKind.Record)]
    public void Every_kind_is_registered_expires_untouched_and_is_kicked_through_the_one_manager(SessionKind kind)
    {
        var manager = EdgeParts.SessionManager(_time);
        using var watcher = manager.Watch()!;
        var session = kind switch
        {
            SessionKind.Play => manager.Create(_owner, _feed.Lease(), _transport),
            SessionKind.View => manager.CreateViewer(_owner, _feed.Lease(), _transport),
            _ => Publisher(manager),
        };
        var timeout = TimeSpan.FromSeconds(60);

        _time.Advance(TimeSpan.FromSeconds(59));
        session.Touch();
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(session.IsExpired(timeout));
        Assert.Equal(1, manager.Registry.CountOf(kind));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(session.IsExpired(timeout));

        manager.Kick(session, "operator");

        Assert.Equal(0, manager.Registry.Count);
        Assert.True(_owner.Disconnected, "the kicked client's connection holds no other session, and is closed");
        Assert.Equal(SessionState.Init, session.State);
        if (kind != SessionKind.Record)
        {
            // A player's media is given back at once: BYE sent, transport detached, source released.
            Assert.Equal((true, 1), (_transport.Detached, _feed.Releases));
            Assert.Empty(_owner.Sessions);
        }

        List<SessionEvent> events = [];
        while (watcher.Events.TryRead(out var change))
        {
            events.Add(change);
        }

        Assert.Equal([SessionChange.Created, SessionChange.Closed], events.Select(e => e.Change));
        Assert.Equal((SessionEndReason.Kicked, "operator"), (events[1].Reason, events[1].Detail));
    }

    private Session Publisher(SessionManager manager)
    {
        var session = Session.ForPublisher("3", _owner, RecordMediaTests.NewMedia(new FakePublication(), _time), _time);
        manager.AddPublisher(session);
        return session;
    }

    private Session NewSession(SessionKind kind = SessionKind.Play) =>
        Session.ForPlayer("1234567890123456", kind, _owner, new PlayMedia(_feed, _transport, new RtpSender(_time, 0xABCDEF01, 100, 1000), _time), _time);

    private static List<RtcpPacketType> Types(byte[] compound)
    {
        Assert.True(RtcpReader.Validate(compound));
        var types = new List<RtcpPacketType>();
        var reader = new RtcpReader(compound);
        while (reader.TryRead(out var packet))
        {
            types.Add(packet.Type);
        }

        return types;
    }
}
