extern alias origin;
using System.Net;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Rtp;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Edge.Tests.Fakes;

/// <summary>A transport that records what the session sent through it.</summary>
internal sealed class FakeTransport(IPEndPoint? destination = null) : IMediaTransport
{
    public string Kind => "fake";

    public IPEndPoint? Destination { get; } = destination;

    public bool ExpiresWhenSilent => true;

    public List<(ushort FirstSequence, uint Timestamp, int Packets)> Frames { get; } = [];

    public List<byte[]> Rtcp { get; } = [];

    public ITransportSession? Attached { get; private set; }

    public bool Detached { get; private set; }

    public string Describe(uint ssrc) => $"fake;ssrc={ssrc:X8}";

    public void Attach(ITransportSession session) => Attached = session;

    public void Detach() => Detached = true;

    public void SendFrame(RtpSender sender, SharedFrame frame)
    {
        var (first, timestamp) = sender.Stamp(frame.Pts, frame.Packets.PacketCount);
        Frames.Add((first, timestamp, frame.Packets.PacketCount));
        sender.Sent(frame.Packets.PacketCount, frame.Packets.PayloadBytes);
    }

    public void SendRtcp(ReadOnlySpan<byte> compound) => Rtcp.Add(compound.ToArray());
}

/// <summary>A stream feed that records who plays it.</summary>
internal sealed class FakeFeed(string name = "movie.Mjpeg") : IFrameSource
{
    public string Name { get; } = name;

    public (uint Pts, long ArrivedAt)? LatestTime { get; set; }

    public List<IFrameSink> Playing { get; } = [];

    public int Plays { get; private set; }

    public int Releases { get; private set; }

    public Task WaitForFirstFrameAsync(TimeSpan timeout, CancellationToken cancellationToken) => Task.CompletedTask;

    public void Play(IFrameSink session)
    {
        Plays++;
        if (!Playing.Contains(session))
        {
            Playing.Add(session);
        }
    }

    public void Pause(IFrameSink session) => Playing.Remove(session);

    public SharedFrame? Latest() => null;

    public Task<SharedFrame?> NextFrameAsync(TimeSpan timeout, CancellationToken cancellationToken) => Task.FromResult<SharedFrame?>(null);

    public void Release() => Releases++;

    public bool IsLive => true;

    public double? Duration => null;

    public double Position => 0;

    public uint? NextPts => LatestTime?.Pts;

    public bool Seek(double seconds) => false;

    public HubLease Lease() => new(this);
}

/// <summary>A session owner standing in for a client connection.</summary>
internal sealed class FakeOwner : ISessionOwner
{
    public List<Session> Sessions { get; } = [];

    public int SessionCount => Sessions.Count;

    public void Add(Session session) => Sessions.Add(session);

    public void Remove(Session session) => Sessions.Remove(session);

    public System.Net.IPEndPoint Remote { get; } = new(System.Net.IPAddress.Loopback, 40000);

    public bool Disconnected { get; private set; }

    public void Disconnect() => Disconnected = true;
}

/// <summary>The edge's services that sessions need, on a fake clock, without sockets.</summary>
internal static class EdgeParts
{
    public static EdgeMetrics Metrics() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    public static SessionManager SessionManager(FakeTimeProvider time, Action<RtspSettings>? configure = null, Action<ControlSettings>? control = null)
    {
        var options = new EdgeOptions();
        configure?.Invoke(options.Rtsp);
        control?.Invoke(options.Control);
        var metrics = Metrics();
        return new SessionManager(new SessionRegistry(), metrics, Options.Create(options), time, NullLogger<SessionManager>.Instance, events: new SessionEvents(Options.Create(options), metrics));
    }

    /// <summary>A JPEG of the built-in test pattern.</summary>
    public static byte[] Jpeg() => origin::GrpcStream.Origin.Sample.TestPatternStream.EncodeFrame(0, 1);

    /// <summary>A packetized frame of the built-in test pattern, at <paramref name="pts"/>.</summary>
    public static SharedFrame Frame(uint pts)
    {
        var jpeg = origin::GrpcStream.Origin.Sample.TestPatternStream.EncodeFrame(0, 1);
        Assert.True(GrpcStream.Rtsp.Jpeg.JpegParser.TryParse(jpeg, out var info));
        var frame = SharedFrame.Rent([]);
        new GrpcStream.Rtsp.Jpeg.RtpJpegPacketizer(1400).Packetize(jpeg, info, frame.Packets);
        frame.Set(0, pts, 0, jpeg);
        return frame;
    }
}

/// <summary>A publication that keeps what it is offered.</summary>
internal sealed class FakePublication : GrpcStream.Edge.Origin.IPublication
{
    public List<byte[]> Offered { get; } = [];

    public Grpc.Core.Status? Failure { get; set; }

    public bool Offer(ReadOnlySpan<byte> jpeg)
    {
        Offered.Add(jpeg.ToArray());
        return Failure is null;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
