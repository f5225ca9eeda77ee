using GrpcStream.Edge.Rtp;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Tests.Fakes;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtcp;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Edge.Tests.Sessions;

/// <summary>A session driven without sockets: a fake feed, a fake transport, a fake clock.</summary>
public class RtspSessionTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly FakeFeed _feed = new();
    private readonly FakeTransport _transport = new();

    [Fact]
    public void Play_starts_frames_only_once_the_answer_is_out_and_pause_stops_them_at_once()
    {
        var session = NewSession();

        Assert.True(session.TryApply(RtspMethod.Play));
        Assert.Equal(SessionState.Playing, session.State);
        Assert.Empty(_feed.Playing); // the answer has not been queued yet

        session.StartSending();
        Assert.Same(session, Assert.Single(_feed.Playing));

        Assert.True(session.TryApply(RtspMethod.Pause));
        Assert.Equal(SessionState.Ready, session.State);
        Assert.Empty(_feed.Playing);

        session.StartSending(); // a paused session does not start
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
        session.StartSending();

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
        var session = NewSession();

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
        var session = NewSession();

        session.SendReport(bye: false);
        session.SendReport(bye: true);

        Assert.Equal([RtcpPacketType.SenderReport, RtcpPacketType.SourceDescription], Types(_transport.Rtcp[0]));
        Assert.Equal([RtcpPacketType.SenderReport, RtcpPacketType.SourceDescription, RtcpPacketType.Goodbye], Types(_transport.Rtcp[1]));
    }

    private RtspSession NewSession() =>
        new("1234567890123456", _feed, _transport, new RtpSender(_time, 0xABCDEF01, 100, 1000), new FakeOwner(), _time);

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
