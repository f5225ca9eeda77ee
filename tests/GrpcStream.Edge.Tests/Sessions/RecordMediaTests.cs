using GrpcStream.Edge.Origin;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Tests.Fakes;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtp;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Edge.Tests.Sessions;

/// <summary>
/// A publisher's session on a fake clock with a fake publication and no socket: its RTP is taken only while it
/// records, from one source and payload type, rebuilt into whole frames for the origin; and it lives in the one
/// registry, where watchers see it and a kick ends it with its connection.
/// </summary>
public sealed class RecordMediaTests : IAsyncDisposable
{
    private const uint Ssrc = 0x5EED;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly FakePublication _publication = new();
    private readonly FakeOwner _owner = new();

    public ValueTask DisposeAsync() => _publication.DisposeAsync();

    /// <summary>A publisher's media for live/cam, JPEG as payload type 26.</summary>
    internal static RecordMedia NewMedia(IPublication publication, TimeProvider time) =>
        new("live/cam", "rtsp://127.0.0.1/live/cam", 25, 26, null, 1 << 20, publication, EdgeParts.Metrics(), time);

    private Session NewSession() => Session.ForPublisher(SessionRegistry.NewId(), _owner, NewMedia(_publication, _time), _time);

    /// <summary>A JPEG as a publisher sends it: RFC 2435 packets with the marker on the last, as datagrams.</summary>
    internal static List<byte[]> Packets(byte[] jpeg, ushort firstSequence, uint timestamp, uint ssrc = Ssrc, byte payloadType = 26)
    {
        Assert.True(JpegParser.TryParse(jpeg, out var info));
        var frame = new PacketizedFrame();
        new RtpJpegPacketizer(1400).Packetize(jpeg, info, frame);
        var packets = new List<byte[]>();
        for (var i = 0; i < frame.PacketCount; i++)
        {
            var payload = frame.GetPayload(i).Span;
            var packet = new byte[RtpHeader.Size + payload.Length];
            new RtpHeader(frame.IsLast(i), payloadType, (ushort)(firstSequence + i), timestamp, ssrc).Write(packet);
            payload.CopyTo(packet.AsSpan(RtpHeader.Size));
            packets.Add(packet);
        }

        return packets;
    }

    [Fact]
    public void Rtp_is_taken_only_while_recording_from_the_first_source_and_the_announced_type_and_whole_frames_go_to_the_origin()
    {
        var session = NewSession();
        var jpeg = EdgeParts.Jpeg();

        Assert.True(session.TryApply(RtspMethod.Setup));
        foreach (var packet in Packets(jpeg, 1, 3600))
        {
            session.Recorder.OnDatagram(packet); // set up, not recording yet
        }

        Assert.Empty(_publication.Offered);

        Assert.True(session.TryApply(RtspMethod.Record));
        var first = Packets(jpeg, 100, 7200);
        foreach (var packet in first)
        {
            session.Recorder.OnDatagram(packet);
        }

        // Another source, and another payload type, mid-stream: refused packet by packet, the frame goes on.
        var next = Packets(jpeg, (ushort)(100 + first.Count), 10800);
        session.Recorder.OnDatagram(Packets(jpeg, 5000, 10800, ssrc: 0xBAD)[0]);
        session.Recorder.OnDatagram(Packets(jpeg, 6000, 10800, payloadType: 96)[0]);
        foreach (var packet in next)
        {
            session.Recorder.OnDatagram(packet);
        }

        // Two whole frames, rebuilt from the RFC 2435 headers (its own JPEG headers) around the publisher's scan.
        Assert.Equal(2, _publication.Offered.Count);
        Assert.True(JpegParser.TryParse(jpeg, out var sent));
        Assert.All(_publication.Offered, offered =>
        {
            Assert.True(JpegParser.TryParse(offered, out var rebuilt));
            Assert.Equal((sent.Width, sent.Height), (rebuilt.Width, rebuilt.Height));
            Assert.Equal(jpeg.AsSpan(sent.ScanDataOffset, sent.ScanDataLength), offered.AsSpan(rebuilt.ScanDataOffset, rebuilt.ScanDataLength));
        });
        Assert.Equal(new SessionTraffic(2, 0, 0, 0), session.Traffic);
        Assert.Equal(("recording", "", SessionKind.Record), (session.StateName, session.TransportKind, session.Kind));
    }

    [Fact]
    public void A_publisher_is_in_the_one_registry_watched_from_created_to_closed_and_a_kick_ends_it_with_its_connection()
    {
        var manager = EdgeParts.SessionManager(_time);
        using var watcher = manager.Watch()!;
        var session = NewSession();

        manager.AddPublisher(session);
        Assert.True(manager.Apply(session, RtspMethod.Setup));
        Assert.True(manager.Apply(session, RtspMethod.Record));
        Assert.Equal(1, manager.Registry.CountOf(SessionKind.Record));
        Assert.Equal(0, manager.Registry.CountOf(SessionKind.Play));
        Assert.True(manager.Registry.TryGet(session.Id, out var found) && found == session);

        manager.Kick(session, "test");

        Assert.True(_owner.Disconnected, "the publisher's connection is closed: its closing ends the publication");
        Assert.Equal(0, manager.Registry.Count);

        // The connection's end then reports the session ended by its own path: told once, not twice.
        manager.Ended(session, SessionEndReason.Disconnected);
        List<SessionEvent> events = [];
        while (watcher.Events.TryRead(out var change))
        {
            events.Add(change);
        }

        Assert.Equal([SessionChange.Created, SessionChange.Playing, SessionChange.Closed], events.Select(e => e.Change));
        Assert.Equal((SessionEndReason.Kicked, "test"), (events[2].Reason, events[2].Detail));
        Assert.All(events, e => Assert.Same(session, e.Session));
    }

    [Fact]
    public void A_publisher_that_leaves_by_its_own_path_is_closed_once_and_its_connection_is_left_alone()
    {
        var manager = EdgeParts.SessionManager(_time);
        using var watcher = manager.Watch()!;
        var session = NewSession();
        manager.AddPublisher(session);

        manager.Ended(session, SessionEndReason.Teardown);
        manager.Ended(session, SessionEndReason.Disconnected);

        Assert.False(_owner.Disconnected, "TEARDOWN is answered on the connection, which stays open");
        Assert.Equal(0, manager.Registry.Count);
        List<SessionChange> changes = [];
        while (watcher.Events.TryRead(out var change))
        {
            changes.Add(change.Change);
            Assert.True(change.Change != SessionChange.Closed || change.Reason == SessionEndReason.Teardown);
        }

        Assert.Equal([SessionChange.Created, SessionChange.Closed], changes);
    }

}
