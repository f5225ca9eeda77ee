using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Reflection.V1Alpha;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Testing;

namespace GrpcStream.Origin.Tests.Grpc;

/// <summary>The origin's control service over real gRPC: subscribers listed, a rescan on demand, who may call.</summary>
public class OriginControlServiceTests
{
    [Fact]
    public async Task Subscribers_are_listed_with_peer_stream_and_frames_sent()
    {
        await using var origin = await OriginTestHost.StartAsync();
        using var call = origin.Client.WatchFrames(new WatchFramesRequest { Name = "movie.Mjpeg" });
        for (var i = 0; i < 3; i++)
        {
            await Live.LiveClockTests.NextAsync(call.ResponseStream);
        }

        var control = new OriginControl.OriginControlClient(origin.NewChannel());
        var subscriber = Assert.Single((await control.ListSubscribersAsync(new ListSubscribersRequest { Stream = "movie.Mjpeg" })).Subscribers);

        Assert.Equal("movie.Mjpeg", subscriber.Stream);
        Assert.StartsWith("ipv4:127.0.0.1:", subscriber.Peer, StringComparison.Ordinal);
        Assert.True(subscriber.FramesSent >= 3, $"{subscriber.FramesSent} frames sent");
        Assert.NotNull(subscriber.Since);
        Assert.Empty((await control.ListSubscribersAsync(new ListSubscribersRequest { Stream = "other" })).Subscribers);
    }

    [Fact]
    public async Task Rescan_finds_a_new_file_at_once_instead_of_at_the_next_interval()
    {
        using var media = new TempMediaRoot();
        var frames = await TestJpegs.FfmpegFramesAsync(2);
        media.Write("first.mjpeg", frames);
        await using var origin = await OriginTestHost.StartAsync(media.Path, null, "Origin:RescanInterval=01:00:00");
        var control = new OriginControl.OriginControlClient(origin.NewChannel());
        media.Write("second.mjpeg", frames);

        var rescanned = await control.RescanAsync(new RescanRequest());

        Assert.Equal(3u, rescanned.Streams); // with the built-in sample
        Assert.Contains((await origin.Client.ListStreamsAsync(new ListStreamsRequest())).Streams, s => s.Name == "second.mjpeg");
        Assert.Contains(origin.Log.Lines, l => l.Contains("Rescan of the media root asked by", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_control_tokens_a_missing_or_wrong_one_is_unauthenticated_and_media_calls_are_not_affected()
    {
        await using var origin = await OriginTestHost.StartAsync(null, null, "Origin:Control:Tokens=secret");
        var channel = origin.NewChannel();

        var missing = await Assert.ThrowsAsync<RpcException>(() => new OriginControl.OriginControlClient(channel).RescanAsync(new RescanRequest()).ResponseAsync);
        var wrong = await Assert.ThrowsAsync<RpcException>(() => new OriginControl.OriginControlClient(channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer guess");
            return m;
        })).RescanAsync(new RescanRequest()).ResponseAsync);
        var allowed = await new OriginControl.OriginControlClient(channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer secret");
            return m;
        })).ListSubscribersAsync(new ListSubscribersRequest());

        Assert.Equal((StatusCode.Unauthenticated, StatusCode.Unauthenticated), (missing.StatusCode, wrong.StatusCode));
        Assert.Contains("Origin:Control:Tokens", missing.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(allowed.Subscribers);
        Assert.NotEmpty((await origin.Client.ListStreamsAsync(new ListStreamsRequest())).Streams);
    }

    [Fact]
    public async Task Reflection_lists_every_service()
    {
        await using var origin = await OriginTestHost.StartAsync();
        using var call = new ServerReflection.ServerReflectionClient(origin.NewChannel()).ServerReflectionInfo(cancellationToken: TestContext.Current.CancellationToken);

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty }, TestContext.Current.CancellationToken);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));

        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToArray();
        Assert.Superset(
            new HashSet<string>(["grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection", "grpcstream.origin.v1.MediaOrigin", "grpcstream.origin.v1.OriginControl"]),
            new HashSet<string>(services));
    }
}
