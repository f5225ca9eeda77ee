using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using GrpcStream.Edge.Hosting;
using GrpcStream.Protos.Edge.V1;
using GrpcStream.Rtsp.Client;
using GrpcStream.Testing;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace GrpcStream.IntegrationTests.Edge.Control;

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
    public async Task Ffmpeg_players_are_watched_from_created_to_playing_listed_and_a_kicked_one_ends_within_two_seconds()
    {
        await using var host = await EdgeTestHost.StartAsync();
        var control = Client(host);
        using var watchEnd = new CancellationTokenSource();
        using var watch = control.WatchSessions(new WatchSessionsRequest(), cancellationToken: watchEnd.Token);
        Assert.True(await watch.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
        Assert.Empty(watch.ResponseStream.Current.Snapshot.Sessions);
        var events = new List<SessionEvent>();
        var collecting = Task.Run(async () =>
        {
            try
            {
                while (await watch.ResponseStream.MoveNext(watchEnd.Token))
                {
                    lock (events)
                    {
                        events.Add(watch.ResponseStream.Current);
                    }
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
            {
                // the test is done watching
            }
        });

        await using var udp = FfmpegPlayer.Start(host.Url(), "udp");
        await using var tcp = FfmpegPlayer.Start(host.Url(), "tcp");
        await Eventually.HoldsAsync(
            async () => (await control.ListSessionsAsync(new ListSessionsRequest())).Sessions.Count(s => s.State == "playing" && s.FramesSent > 0) == 2,
            "both players playing");

        var listed = (await control.ListSessionsAsync(new ListSessionsRequest())).Sessions;
        Assert.Equal(["tcp", "udp"], listed.Select(s => s.Transport).Order());
        Assert.All(listed, s => Assert.Equal("127.0.0.1", s.ClientAddress));
        var kicked = listed.Single(s => s.Transport == "udp");
        // The kicked player gets a BYE and leaves: well before its session could time out (60 s).
        await control.KickSessionAsync(new KickSessionRequest { Id = kicked.Id, Reason = "test" });
        await udp.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain((await control.ListSessionsAsync(new ListSessionsRequest())).Sessions, s => s.Id == kicked.Id);
        Assert.False(tcp.HasExited);

        SessionEvent[] Seen()
        {
            lock (events)
            {
                return [.. events];
            }
        }

        await Eventually.HoldsAsync(() => Seen().Any(e => e.Closed?.Session.Id == kicked.Id), "the kick watched");
        var ofKicked = Seen().Where(e => (e.Created ?? e.Playing ?? e.Paused ?? e.Closed.Session).Id == kicked.Id).ToArray();
        Assert.Equal([SessionEvent.EventOneofCase.Created, SessionEvent.EventOneofCase.Playing, SessionEvent.EventOneofCase.Closed], ofKicked.Select(e => e.EventCase));
        Assert.Equal((CloseReason.Kicked, "test"), (ofKicked[2].Closed.Reason, ofKicked[2].Closed.Detail));
        Assert.True(ofKicked[2].Closed.Session.FramesSent > 0);
        Assert.Contains(Seen(), e => e.Playing?.Transport == "tcp");

        await watchEnd.CancelAsync();
        await collecting;
    }

    [Fact]
    public async Task Streams_are_listed_with_sessions_by_transport_frame_counts_and_the_measured_rate()
    {
        await using var host = await EdgeTestHost.StartAsync();
        var control = Client(host);
        await using var tcp = await HonestPlayer.StartAsync(host.Url(), RtspTransport.Tcp);
        await using var udp = await HonestPlayer.StartAsync(host.Url(), RtspTransport.Udp);
        await tcp.WaitForMoreFramesAsync(40);

        var stream = Assert.Single((await control.ListStreamsAsync(new ListStreamsRequest())).Streams);

        Assert.Equal(("movie.Mjpeg", "receiving", ""), (stream.Name, stream.OriginLink, stream.OriginProblem));
        Assert.Equal(new Dictionary<string, uint> { ["tcp"] = 1, ["udp"] = 1 }, stream.Sessions);
        Assert.True(stream.FramesIn >= 40, $"{stream.FramesIn} frames in");
        Assert.True(stream.FramesOut >= stream.FramesIn, $"{stream.FramesOut} frames out for {stream.FramesIn} in, two sessions");
        Assert.True(stream.Fps > 0, $"measured {stream.Fps} frames a second"); // measured on the wall clock: its value is the machine's, not the edge's
        Assert.True(stream.HasLastFrameAgeMs);
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
        Assert.Equal((200, 503, 200), (await HttpStatusAsync(host, "/healthz/live"), await HttpStatusAsync(host, "/healthz/ready"), await HttpStatusAsync(host, "/healthz")));
        Assert.Equal(ServingStatus.NotServing, await GrpcHealthAsync(host, "ready"));
        Assert.Equal(ServingStatus.Serving, await GrpcHealthAsync(host, string.Empty));

        Assert.False((await control.UndrainAsync(new UndrainRequest())).Draining);
        Assert.Equal(200, await HttpStatusAsync(host, "/healthz/ready"));
        Assert.Equal(ServingStatus.Serving, await GrpcHealthAsync(host, "ready"));
        await using (var rtsp = await RtspTestClient.ConnectAsync(host.RtspPort))
        {
            Assert.Equal(200, (await rtsp.RequestAsync("SETUP", host.Url() + "/track1", ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))).StatusCode);
        }

        var deadline = await control.DrainAsync(new DrainRequest { DeadlineSeconds = 1 });
        Assert.NotNull(deadline.Deadline);
        await Eventually.HoldsAsync(async () => (await control.ListSessionsAsync(new ListSessionsRequest())).Sessions.Count == 0, "sessions closed at the deadline");
        Assert.Contains(host.Log.Lines, l => l.Contains("Draining: new sessions are refused", StringComparison.Ordinal));
    }

    private static async Task<int> HttpStatusAsync(EdgeTestHost host, string path)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(host.HttpAddress + path), TestContext.Current.CancellationToken);
        return (int)response.StatusCode;
    }

    private static async Task<ServingStatus> GrpcHealthAsync(EdgeTestHost host, string service) =>
        (await new Health.HealthClient(GrpcChannel.ForAddress(host.Edge.ControlAddress())).CheckAsync(new HealthCheckRequest { Service = service })).Status;

    [Fact]
    public async Task The_control_port_serves_reflection_and_readiness_follows_the_origin_link()
    {
        await using var host = await EdgeTestHost.StartAsync();
        using var call = new ServerReflection.ServerReflectionClient(GrpcChannel.ForAddress(host.Edge.ControlAddress())).ServerReflectionInfo(cancellationToken: TestContext.Current.CancellationToken);
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty }, TestContext.Current.CancellationToken);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
        Assert.Contains(call.ResponseStream.Current.ListServicesResponse.Service, s => s.Name == "grpcstream.edge.v1.EdgeControl");
        await using var player = await HonestPlayer.StartAsync(host.Url());
        Assert.Equal(200, await HttpStatusAsync(host, "/healthz/ready"));

        await host.StopOriginAsync();

        await Eventually.HoldsAsync(async () => await HttpStatusAsync(host, "/healthz/ready") == 503, "not ready while the origin is away");
        Assert.Equal((200, 200), (await HttpStatusAsync(host, "/healthz/live"), await HttpStatusAsync(host, "/healthz")));
        await host.RestartOriginAsync();
        await Eventually.HoldsAsync(async () => await HttpStatusAsync(host, "/healthz/ready") == 200, "ready again once frames flow");
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
