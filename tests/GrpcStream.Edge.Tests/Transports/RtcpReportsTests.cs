using GrpcStream.Edge.Rtp;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Tests.Fakes;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Rtcp;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Edge.Tests.Transports;

/// <summary>What RTCP from a client may do to its session.</summary>
public class RtcpReportsTests
{
    private const uint Ssrc = 0x5EC0_0001;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    [Fact]
    public void A_receiver_report_about_the_sessions_ssrc_keeps_it_alive_and_is_counted()
    {
        var session = NewSession();
        _time.Advance(TimeSpan.FromSeconds(50));

        Assert.True(RtcpReports.Apply(ReceiverReport(Ssrc, lost: 4), session, EdgeParts.Metrics()));

        _time.Advance(TimeSpan.FromSeconds(50));
        Assert.False(session.Session.IsExpired(TimeSpan.FromSeconds(60)));
        Assert.Equal(4, session.Sender.LastReport!.Value.CumulativeLost);
    }

    [Theory]
    [InlineData("foreign ssrc")]
    [InlineData("no report block")]
    [InlineData("not rtcp")]
    [InlineData("sdes only")]
    public void Anything_else_keeps_nothing_alive(string kind)
    {
        var session = NewSession();
        _time.Advance(TimeSpan.FromSeconds(50));
        var packet = kind switch
        {
            "foreign ssrc" => ReceiverReport(Ssrc + 1, lost: 0),
            "no report block" => ReceiverReportWithoutBlocks(),
            "not rtcp" => "hello, this is not RTCP"u8.ToArray(),
            _ => SdesOnly(),
        };

        Assert.False(RtcpReports.Apply(packet, session, EdgeParts.Metrics()));

        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.True(session.Session.IsExpired(TimeSpan.FromSeconds(60)));
        Assert.Null(session.Sender.LastReport);
    }

    private PlayMedia NewSession() =>
        Session.ForPlayer("1", SessionKind.Play, new FakeOwner(), new PlayMedia(new FakeFeed(), new FakeTransport(), new RtpSender(_time, Ssrc, 0, 0), _time), _time).Player;

    private static byte[] ReceiverReport(uint about, int lost)
    {
        var buffer = new byte[128];
        var length = RtcpWriter.ReceiverReport(buffer, 0x1234, [new ReportBlock(about, 0, lost, 100, 0, 0, 0)]);
        return buffer[..length];
    }

    private static byte[] ReceiverReportWithoutBlocks()
    {
        var buffer = new byte[128];
        var length = RtcpWriter.ReceiverReport(buffer, 0x1234, []);
        return buffer[..length];
    }

    private static byte[] SdesOnly()
    {
        // An RR without blocks must lead a compound packet; then an SDES naming the session's SSRC as its own.
        var buffer = new byte[128];
        var length = RtcpWriter.ReceiverReport(buffer, Ssrc, []);
        length += RtcpWriter.SourceDescription(buffer.AsSpan(length), Ssrc, "intruder");
        return buffer[..length];
    }
}
