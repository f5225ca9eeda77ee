using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using GrpcStream.Edge.Hosting;
using GrpcStream.Protos.Edge.V1;
using GrpcStream.Rtsp.Client;
using GrpcStream.Testing;

namespace GrpcStream.Edge.Tests.Control;

/// <summary>The control API over real gRPC against a live edge with real players.</summary>
public class EdgeControlTests
{
    private static EdgeControl.EdgeControlClient Client(EdgeTestHost host, string? token = null)
    {
        var channel = GrpcChannel.ForAddress(host.Edge.ControlAddress());
        return token is null
            ? new EdgeControl.EdgeControlClient(channel)
            : new EdgeControl.EdgeControlClient(channel.Intercept(m =>
            {
                m.Add("authorization", "Bearer " + token);
                return m;
            }));
    }

    [Fact]
    public async Task Players_are_listed_with_transport_and_address_and_a_kicked_one_is_gone_with_its_connection()
    {
        await using var host = await EdgeTestHost.StartAsync();
        var control = Client(host);
        await using var tcp = await HonestPlayer.StartAsync(host.Url(), RtspTransport.Tcp);
        await using var udp = await HonestPlayer.StartAsync(host.Url(), RtspTransport.Udp);
        await tcp.WaitForMoreFramesAsync(3);

        var listed = (await control.ListSessionsAsync(new ListSessionsRequest { Stream = "movie.Mjpeg" })).Sessions;

        Assert.Equal(["tcp", "udp"], listed.Select(s => s.Transport).Order());
        Assert.All(listed, s => Assert.Equal(("127.0.0.1", "movie.Mjpeg", "playing"), (s.ClientAddress, s.Stream, s.State)));
        Assert.StartsWith("127.0.0.1:", listed.Single(s => s.Transport == "udp").RtpDestination, StringComparison.Ordinal);
        Assert.Empty((await control.ListSessionsAsync(new ListSessionsRequest { Stream = "other" })).Sessions);
        var tcpSession = listed.Single(s => s.Transport == "tcp");
        Assert.Equal(tcpSession.Id, (await control.GetSessionAsync(new GetSessionRequest { Id = tcpSession.Id })).Id);

        await control.KickSessionAsync(new KickSessionRequest { Id = tcpSession.Id, Reason = "test" });

        Assert.DoesNotContain((await control.ListSessionsAsync(new ListSessionsRequest())).Sessions, s => s.Id == tcpSession.Id);
        var missing = await Assert.ThrowsAsync<RpcException>(() => control.GetSessionAsync(new GetSessionRequest { Id = tcpSession.Id }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Contains(host.Log.Lines, l => l.Contains($"Session {tcpSession.Id} of", StringComparison.Ordinal) && l.Contains("kicked through the control API: test", StringComparison.Ordinal));
        await udp.WaitForMoreFramesAsync(3); // the other session plays on
    }

    [Fact]
    public async Task Draining_refuses_new_sessions_while_one_plays_on_and_a_deadline_closes_it()
    {
        await using var host = await EdgeTestHost.StartAsync();
        var control = Client(host);
        await using var player = await HonestPlayer.StartAsync(host.Url());

        var status = await control.DrainAsync(new DrainRequest());
        await using (var rtsp = await RtspTestClient.ConnectAsync(host.RtspPort))
        {
            var refused = await rtsp.RequestAsync("SETUP", host.Url() + "/track1", ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"));
            Assert.Equal(503, refused.StatusCode);
            Assert.NotNull(refused.GetHeader("Retry-After"));
        }

        await player.WaitForMoreFramesAsync(5);
        Assert.Equal((true, 1u), (status.Draining, status.Sessions));
        Assert.False((await control.UndrainAsync(new UndrainRequest())).Draining);
        await using (var rtsp = await RtspTestClient.ConnectAsync(host.RtspPort))
        {
            Assert.Equal(200, (await rtsp.RequestAsync("SETUP", host.Url() + "/track1", ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))).StatusCode);
        }

        var deadline = await control.DrainAsync(new DrainRequest { DeadlineSeconds = 1 });
        Assert.NotNull(deadline.Deadline);
        await Eventually.HoldsAsync(async () => (await control.ListSessionsAsync(new ListSessionsRequest())).Sessions.Count == 0, "sessions closed at the deadline");
        Assert.Contains(host.Log.Lines, l => l.Contains("Draining: new sessions are refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_tokens_a_missing_or_wrong_one_is_unauthenticated()
    {
        await using var host = await EdgeTestHost.StartAsync(true, "Control:Tokens=first,second");

        var missing = await Assert.ThrowsAsync<RpcException>(() => Client(host).GetStatsAsync(new GetStatsRequest()).ResponseAsync);
        var wrong = await Assert.ThrowsAsync<RpcException>(() => Client(host, "third").GetStatsAsync(new GetStatsRequest()).ResponseAsync);
        var stats = await Client(host, "second").GetStatsAsync(new GetStatsRequest());

        Assert.Equal((StatusCode.Unauthenticated, StatusCode.Unauthenticated), (missing.StatusCode, wrong.StatusCode));
        Assert.Equal((0u, 0u, false, "idle"), (stats.Sessions, stats.Connections, stats.Draining, stats.OriginLink));
    }
}
