using System.Net;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Tests.Fakes;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtcp;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Edge.Tests.Sessions;

/// <summary>Session limits, UDP destinations, expiry and sender reports, on a fake clock without sockets.</summary>
public class SessionManagerTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    [Fact]
    public void A_connection_past_its_session_limit_gets_453_and_the_feed_is_given_back()
    {
        var manager = EdgeParts.SessionManager(_time, s => s.MaxSessionsPerConnection = 2);
        var owner = new FakeOwner();
        var feed = new FakeFeed();
        manager.Create(owner, feed.Lease(), new FakeTransport());
        manager.Create(owner, feed.Lease(), new FakeTransport());

        var refused = Assert.Throws<SetupRefusedException>(() => manager.EnsureRoom(owner));
        Assert.Equal(453, refused.StatusCode);
        using (var lease = feed.Lease())
        {
            Assert.Equal(453, Assert.Throws<SetupRefusedException>(() => manager.Create(owner, lease, new FakeTransport())).StatusCode);
        }

        Assert.Equal(1, feed.Releases);
        Assert.Equal(2, manager.Registry.Count);
        manager.EnsureRoom(new FakeOwner()); // another connection still may
    }

    [Fact]
    public void The_edge_past_its_session_limit_gets_503_with_retry_after()
    {
        var manager = EdgeParts.SessionManager(_time, s => s.MaxSessions = 3);
        var feed = new FakeFeed();
        for (var i = 0; i < 3; i++)
        {
            manager.Create(new FakeOwner(), feed.Lease(), new FakeTransport());
        }

        var refused = Assert.Throws<SetupRefusedException>(() => manager.EnsureRoom(new FakeOwner()));

        Assert.Equal(503, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), refused.RetryAfter);
    }

    [Fact]
    public void Only_one_session_streams_to_a_udp_destination()
    {
        var manager = EdgeParts.SessionManager(_time);
        var destination = new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.2"), 25000);
        var feed = new FakeFeed();
        var first = new FakeOwner();
        var oldTransport = new FakeTransport(destination);
        var old = manager.Create(first, feed.Lease(), oldTransport);

        // The same connection again: refused.
        using (var lease = feed.Lease())
        {
            Assert.Equal(461, Assert.Throws<SetupRefusedException>(() => manager.Create(first, lease, new FakeTransport(destination))).StatusCode);
        }

        // Another connection (a client restarted with its fixed port): it takes the port, the old session ends with a BYE.
        var second = new FakeOwner();
        var replacement = manager.Create(second, feed.Lease(), new FakeTransport(new IPEndPoint(destination.Address, destination.Port)));

        Assert.False(manager.Registry.TryGet(old.Id, out _));
        Assert.Empty(first.Sessions);
        Assert.True(oldTransport.Detached);
        Assert.Contains(oldTransport.Rtcp, packet => HasBye(packet));
        Assert.True(manager.Registry.TryGet(replacement.Id, out _));

        // Once it ends, the port is free again.
        manager.Close(replacement, SessionEndReason.Teardown);
        manager.Create(first, feed.Lease(), new FakeTransport(destination));
        Assert.Equal(3, feed.Releases); // the refused lease, the replaced session and the closed one
    }

    [Fact]
    public void Maintenance_sends_due_sender_reports_and_closes_silent_sessions_with_a_bye()
    {
        var manager = EdgeParts.SessionManager(_time);
        var feed = new FakeFeed();
        var owner = new FakeOwner();
        var transport = new FakeTransport();
        var session = manager.Create(owner, feed.Lease(), transport);
        session.TryApply(GrpcStream.Rtsp.Messages.RtspMethod.Play);

        _time.Advance(TimeSpan.FromSeconds(5));
        manager.Maintain();
        Assert.Single(transport.Rtcp);
        Assert.False(HasBye(transport.Rtcp[0]));

        _time.Advance(TimeSpan.FromSeconds(1));
        manager.Maintain();
        Assert.Single(transport.Rtcp); // not due again yet

        _time.Advance(TimeSpan.FromSeconds(55));
        manager.Maintain();

        Assert.Equal(0, manager.Registry.Count);
        Assert.Empty(owner.Sessions);
        Assert.True(HasBye(transport.Rtcp[^1]));
        Assert.True(transport.Detached);
        Assert.Equal(1, feed.Releases);
    }

    [Fact]
    public void Closing_twice_closes_once()
    {
        var manager = EdgeParts.SessionManager(_time);
        var feed = new FakeFeed();
        var transport = new FakeTransport();
        var session = manager.Create(new FakeOwner(), feed.Lease(), transport);

        manager.Close(session, SessionEndReason.Teardown);
        manager.Close(session, SessionEndReason.Disconnected);

        Assert.Equal(1, feed.Releases);
        Assert.Single(transport.Rtcp);
    }

    [Fact]
    public void A_watcher_gets_the_sessions_there_are_then_every_change_with_its_reason()
    {
        var manager = EdgeParts.SessionManager(_time);
        var owner = new FakeOwner();
        var feed = new FakeFeed();
        var before = manager.Create(owner, feed.Lease(), new FakeTransport());

        using var watcher = manager.Watch()!;
        var after = manager.Create(owner, feed.Lease(), new FakeTransport());
        Assert.True(manager.Apply(after, RtspMethod.Play));
        Assert.True(manager.Apply(after, RtspMethod.Play)); // still playing: no event
        Assert.True(manager.Apply(after, RtspMethod.Pause));
        Assert.False(manager.Apply(after, RtspMethod.Pause)); // not valid when ready: nothing changes
        manager.Close(after, SessionEndReason.Teardown);
        _time.Advance(TimeSpan.FromSeconds(61));
        manager.Maintain();

        Assert.Equal(new[] { before }, watcher.Snapshot);
        var events = new List<SessionEvent>();
        while (watcher.Events.TryRead(out var change))
        {
            events.Add(change);
        }

        Assert.Equal(
            [(SessionChange.Created, after), (SessionChange.Playing, after), (SessionChange.Paused, after), (SessionChange.Closed, after), (SessionChange.Closed, before)],
            events.Select(e => (e.Change, e.Session)));
        Assert.Equal(SessionEndReason.Teardown, events[3].Reason);
        Assert.Equal(SessionEndReason.Timeout, events[4].Reason);
    }

    [Fact]
    public void A_watcher_that_falls_behind_is_ended_and_others_are_not_held_up()
    {
        var manager = EdgeParts.SessionManager(_time, s => s.MaxSessionsPerConnection = 100, c => { c.WatchQueue = 16; c.MaxWatchers = 2; });
        var feed = new FakeFeed();
        using var slow = manager.Watch()!;
        using var reading = manager.Watch()!;
        Assert.Null(manager.Watch()); // MaxWatchers

        var seen = 0;
        var owner = new FakeOwner();
        for (var i = 0; i < 40; i++)
        {
            manager.Create(owner, feed.Lease(), new FakeTransport());
            while (reading.Events.TryRead(out _))
            {
                seen++;
            }
        }

        Assert.Equal(40, seen);
        Assert.True(slow.FellBehind);
        var queued = 0;
        while (slow.Events.TryRead(out _))
        {
            queued++;
        }

        Assert.Equal(16, queued);
        Assert.True(slow.Events.Completion.IsCompleted);
    }

    private static bool HasBye(byte[] compound)
    {
        var reader = new RtcpReader(compound);
        while (reader.TryRead(out var packet))
        {
            if (packet.Type == RtcpPacketType.Goodbye)
            {
                return true;
            }
        }

        return false;
    }
}
