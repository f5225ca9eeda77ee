using System.Net;
using Google.Protobuf;
using Grpc.Core;
using GrpcStream.Origin.Tests.Live;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Testing;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Origin.Tests.Publishing;

/// <summary>PublishFrames over real gRPC: a published stream is listed and watched like a file stream, and outlives its publisher by the hold time.</summary>
public class PublishFramesTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<byte[][]> FramesAsync(int count, int width = 160, int height = 120)
    {
        var frames = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            frames[i] = await TestJpegs.CjpegAsync(TestJpegs.Ppm(width, height, seed: i * 37));
        }

        return frames;
    }

    // Sequence numbers follow the clock, so the tests hold it still: a slow machine cannot make the stream jump.
    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    private static async Task<AsyncClientStreamingCall<PublishRequest, PublishSummary>> PublishAsync(MediaOrigin.MediaOriginClient client, string name, double rate = 25, Metadata? headers = null)
    {
        var call = client.PublishFrames(headers, cancellationToken: Token);
        await SendAsync(call, new PublishRequest { Start = new PublishStart { Name = name, FrameRate = rate } });
        return call;
    }

    private static Task SendAsync(AsyncClientStreamingCall<PublishRequest, PublishSummary> call, byte[] jpeg) =>
        SendAsync(call, new PublishRequest { Jpeg = ByteString.CopyFrom(jpeg) });

    // A call the origin refused may already be over when a message is written: the answer is in ResponseAsync.
    private static async Task SendAsync(AsyncClientStreamingCall<PublishRequest, PublishSummary> call, PublishRequest message)
    {
        try
        {
            await call.RequestStream.WriteAsync(message, Token);
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException)
        {
            // The write can fail a moment before the call's answer is in: wait for it (failed or not), with a deadline.
            try
            {
                await ((Task)call.ResponseAsync).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(10), Token);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"a write failed on a call still going: {ex.Message}");
            }
        }
    }

    private static async Task<bool> ListedAsync(OriginTestHost origin, string name) =>
        (await origin.Client.ListStreamsAsync(new ListStreamsRequest(), cancellationToken: Token)).Streams.Any(s => s.Name == name);

    [Fact]
    public async Task A_published_stream_is_listed_described_and_watched_byte_for_byte_as_its_frames_arrive()
    {
        var frames = await FramesAsync(4);
        await using var origin = await OriginTestHost.StartAsync(null, Clock());
        using var publisher = await PublishAsync(origin.Client, "live/cam1", rate: 10);
        await SendAsync(publisher, frames[0]);
        await Eventually.HoldsAsync(() => ListedAsync(origin, "live/cam1"), "the stream is listed once it has a frame");

        var description = await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "live/cam1" }, cancellationToken: Token);
        Assert.Equal((160u, 120u, 10.0, SourceFormat.Published, true), (description.Width, description.Height, description.FrameRate, description.SourceFormat, description.RtpCarriable));

        // Live always: it has no frames by index.
        Assert.Equal(StreamMode.Live, description.Mode);
        using var byIndex = origin.Client.ReadFrames(new ReadFramesRequest { Name = "live/cam1" }, cancellationToken: Token);
        Assert.Equal(StatusCode.FailedPrecondition, (await Assert.ThrowsAsync<RpcException>(() => byIndex.ResponseStream.MoveNext(Token))).StatusCode);

        // A watcher gets the latest frame at once, then each frame as it is published, on consecutive sequence numbers.
        using var watch = origin.Client.WatchFrames(new WatchFramesRequest { Name = "live/cam1" }, cancellationToken: Token);
        var received = new List<Frame> { await LiveClockTests.NextAsync(watch.ResponseStream) };
        foreach (var frame in frames[1..])
        {
            await SendAsync(publisher, frame);
            received.Add(await LiveClockTests.NextAsync(watch.ResponseStream));
        }

        Assert.Equal(frames, received.Select(f => f.Jpeg.ToByteArray()));
        Assert.Equal(Enumerable.Range(0, 4).Select(i => received[0].Sequence + (ulong)i), received.Select(f => f.Sequence));
        Assert.All(received, f => Assert.Equal(f.Sequence * 9000, f.Pts90Khz)); // 90 kHz at 10 fps

        await publisher.RequestStream.CompleteAsync();
        var summary = await publisher;
        Assert.Equal((4ul, received[0].Sequence, received[^1].Sequence), (summary.Frames, summary.FirstSequence, summary.LastSequence));
    }

    [Fact]
    public async Task A_publisher_that_returns_within_the_hold_time_continues_the_stream_and_one_that_does_not_ends_it()
    {
        var frames = await FramesAsync(3);
        var time = Clock();
        await using var origin = await OriginTestHost.StartAsync(null, time, "Origin:Publish:HoldTime=00:00:10");
        using (var first = await PublishAsync(origin.Client, "live/door"))
        {
            await SendAsync(first, frames[0]);
            await first.RequestStream.CompleteAsync();
            await first;
        }

        // Held: still listed, and a new watcher gets the last frame.
        using var watch = origin.Client.WatchFrames(new WatchFramesRequest { Name = "live/door" }, cancellationToken: Token);
        var held = await LiveClockTests.NextAsync(watch.ResponseStream);
        Assert.Equal(frames[0], held.Jpeg.ToByteArray());

        time.Advance(TimeSpan.FromSeconds(9));
        using (var second = await PublishAsync(origin.Client, "live/door"))
        {
            await SendAsync(second, frames[1]);
            var continued = await LiveClockTests.NextAsync(watch.ResponseStream);
            Assert.Equal(frames[1], continued.Jpeg.ToByteArray());

            // Nine seconds passed at 25 fps: the frame takes the live position, a longer step, still going up.
            Assert.Equal(held.Sequence + (9 * 25), continued.Sequence);
            await second.RequestStream.CompleteAsync();
            await second;
        }

        time.Advance(TimeSpan.FromSeconds(10));
        var ended = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(Token));
        Assert.Equal(StatusCode.NotFound, ended.StatusCode);
        Assert.Contains("its publisher left", ended.Status.Detail, StringComparison.Ordinal);
        Assert.False(await ListedAsync(origin, "live/door"));
        var gone = await Assert.ThrowsAsync<RpcException>(() => origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "live/door" }, cancellationToken: Token).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task A_second_publisher_is_refused_while_the_first_is_connected_and_accepted_once_it_is_gone()
    {
        var frames = await FramesAsync(2);
        await using var origin = await OriginTestHost.StartAsync();
        using var first = await PublishAsync(origin.Client, "live/gate");
        await SendAsync(first, frames[0]);

        // A write is done once it is handed to HTTP/2, not once the origin has read it: the first publisher holds
        // the name when its call is accepted (its response headers), and only then may the second be refused. (The
        // two calls travel on two connections: without this wait the second's start could be read first, the
        // first be refused, and the second be accepted and wait for frames for ever.)
        await first.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(30), Token);

        using var second = await PublishAsync(origin.NewClient(), "live/gate");
        var refused = await Assert.ThrowsAsync<RpcException>(() => second.ResponseAsync.WaitAsync(TimeSpan.FromSeconds(30), Token));
        Assert.Equal(StatusCode.AlreadyExists, refused.StatusCode);
        Assert.Equal("Stream 'live/gate' already has a publisher; a new one may publish it once that one is gone.", refused.Status.Detail);

        await first.RequestStream.CompleteAsync();
        await first;
        using var third = await PublishAsync(origin.NewClient(), "live/gate");
        await SendAsync(third, frames[1]);
        await third.RequestStream.CompleteAsync();
        Assert.Equal(1ul, (await third).Frames);
    }

    [Theory]
    [InlineData("cam1", "published streams are named under 'live/'")]
    [InlineData("live/../etc", "cannot have a '.' or '..' segment")]
    [InlineData("live//cam", "empty segment")]
    [InlineData("live/cam 1", "segments of A-Z, a-z, 0-9")]
    [InlineData("live/", "empty segment")]
    public async Task Names_that_are_not_path_like_under_the_prefix_are_refused(string name, string reason)
    {
        await using var origin = await OriginTestHost.StartAsync();
        using var call = await PublishAsync(origin.Client, name);
        var refused = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains(reason, refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_frames_end_the_call_with_a_status_and_are_counted_while_a_watcher_of_another_stream_loses_nothing()
    {
        var frames = await FramesAsync(1, 320, 240);
        await using var origin = await OriginTestHost.StartAsync(null, Clock(), "Origin:MaxFramePixels=20000", "Origin:MaxFrameBytes=8192");
        using var honest = await PublishAsync(origin.Client, "live/honest");
        await SendAsync(honest, (await FramesAsync(1, 128, 96))[0]);
        // Watched once listed: a watch that reached the origin before the publisher's first frame would be NOT_FOUND.
        await Eventually.HoldsAsync(() => ListedAsync(origin, "live/honest"), "the honest stream is listed");
        using var watch = origin.Client.WatchFrames(new WatchFramesRequest { Name = "live/honest" }, cancellationToken: Token);
        var first = await LiveClockTests.NextAsync(watch.ResponseStream);

        async Task<RpcException> RefusedAsync(string name, byte[] jpeg)
        {
            using var call = await PublishAsync(origin.NewClient(), name);
            await SendAsync(call, jpeg);
            return await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        }

        var notJpeg = await RefusedAsync("live/bad-text", "hello, not a picture"u8.ToArray());
        var truncated = await RefusedAsync("live/bad-cut", frames[0][..(frames[0].Length / 2)]);
        var tooManyPixels = await RefusedAsync("live/bad-big", frames[0]);
        var tooLarge = await RefusedAsync("live/bad-long", [0xFF, 0xD8, .. new byte[20_000]]);
        Assert.Equal(
            (StatusCode.InvalidArgument, StatusCode.InvalidArgument, StatusCode.ResourceExhausted, StatusCode.ResourceExhausted),
            (notJpeg.StatusCode, truncated.StatusCode, tooManyPixels.StatusCode, tooLarge.StatusCode));
        Assert.StartsWith("frame 1 refused: a frame of 20 bytes is not a JPEG image", notJpeg.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("ends before its end-of-image marker", truncated.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("320x240 is over the Origin:MaxFramePixels limit of 20000 pixels", tooManyPixels.Status.Detail, StringComparison.Ordinal);

        // The honest publisher and its watcher go on.
        var next = (await FramesAsync(2, 128, 96))[1];
        await SendAsync(honest, next);
        var after = await LiveClockTests.NextAsync(watch.ResponseStream);
        Assert.Equal(next, after.Jpeg.ToByteArray());
        Assert.Equal(first.Sequence + 1, after.Sequence);

        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var metrics = PrometheusText.Parse(await http.GetStringAsync(new Uri(origin.Address + "/metrics"), Token));
        Assert.Equal(1, metrics.Sum("grpcstream_origin_publish_frames_refused_total", ("stream", "live/bad-text"), ("reason", "not_jpeg")));
        Assert.Equal(1, metrics.Sum("grpcstream_origin_publish_frames_refused_total", ("stream", "live/bad-cut"), ("reason", "not_jpeg")));
        Assert.Equal(1, metrics.Sum("grpcstream_origin_publish_frames_refused_total", ("stream", "live/bad-big"), ("reason", "too_many_pixels")));
        Assert.Equal(1, metrics.Sum("grpcstream_origin_publish_frames_refused_total", ("stream", "live/bad-long"), ("reason", "too_large")));
    }

    [Fact]
    public async Task A_frame_rfc_2435_cannot_carry_is_converted_once_at_the_origin()
    {
        var optimized = await TestJpegs.CjpegAsync(TestJpegs.Ppm(160, 120), "-optimize");
        await using var origin = await OriginTestHost.StartAsync();
        using var publisher = await PublishAsync(origin.Client, "live/optimized");
        await SendAsync(publisher, optimized);
        await Eventually.HoldsAsync(() => ListedAsync(origin, "live/optimized"), "the stream is listed");
        using var watch = origin.Client.WatchFrames(new WatchFramesRequest { Name = "live/optimized" }, cancellationToken: Token);

        var served = (await LiveClockTests.NextAsync(watch.ResponseStream)).Jpeg.ToByteArray();

        Assert.NotEqual(optimized, served);
        Assert.True((await origin.Client.DescribeStreamAsync(new DescribeStreamRequest { Name = "live/optimized" }, cancellationToken: Token)).ServedJpeg.StandardHuffmanTables);
        Assert.Equal(await TestJpegs.DecodeAsync(optimized), await TestJpegs.DecodeAsync(served)); // re-coded, pixels unchanged
    }

    [Fact]
    public async Task Publishing_needs_a_publish_token_where_tokens_are_configured_and_is_open_and_logged_where_nothing_is()
    {
        var frame = (await FramesAsync(1))[0];
        await using (var open = await OriginTestHost.StartAsync())
        {
            Assert.Contains(open.Log.Lines, l => l.Contains("anyone who reaches the origin may publish under live/", StringComparison.Ordinal));
        }

        await using var origin = await OriginTestHost.StartAsync(null, null, "Origin:Publish:Tokens=publish-secret", "Origin:Auth:Tokens=read-secret");
        Assert.DoesNotContain(origin.Log.Lines, l => l.Contains("may publish", StringComparison.Ordinal));

        async Task<StatusCode> PublishWithAsync(string? token)
        {
            using var call = await PublishAsync(origin.NewClient(), "live/secured", headers: token is null ? null : new Metadata { { "authorization", $"Bearer {token}" } });
            try
            {
                await SendAsync(call, frame);
                await call.RequestStream.CompleteAsync();
                await call;
                return StatusCode.OK;
            }
            catch (RpcException ex)
            {
                return ex.StatusCode;
            }
        }

        // The read token is for watching, not publishing.
        Assert.Equal(
            (StatusCode.Unauthenticated, StatusCode.Unauthenticated, StatusCode.OK),
            (await PublishWithAsync(null), await PublishWithAsync("read-secret"), await PublishWithAsync("publish-secret")));

        await using var readOnly = await OriginTestHost.StartAsync(null, null, "Origin:Auth:Tokens=read-secret");
        using var refused = await PublishAsync(readOnly.Client, "live/secured", headers: new Metadata { { "authorization", "Bearer read-secret" } });
        var denied = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Contains("Origin:Publish:Tokens", denied.Status.Detail, StringComparison.Ordinal);
    }
}
