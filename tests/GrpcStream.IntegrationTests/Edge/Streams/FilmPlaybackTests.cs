using System.Text;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Rtp;
using GrpcStream.Rtsp.Sdp;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Streams;

/// <summary>
/// Films on demand with a real player: an origin with <c>Origin:Mode=on-demand</c> and a film whose every frame is
/// a different picture, so that what ffmpeg received is told frame by frame from the decoded pixels. ffmpeg plays
/// from the film's first frame, seeks with <c>-ss</c> (PLAY with a Range), and ends by itself at the film's end
/// (RTCP BYE), over UDP and over TCP.
/// </summary>
public sealed class FilmPlaybackTests : IDisposable
{
    private const int Frames = 30;
    private readonly DirectoryInfo _media = Directory.CreateTempSubdirectory("grpcstream-films-");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => _media.Delete(recursive: true);

    /// <summary>The film (<paramref name="frames"/> distinct 160x120 pictures at 25 fps) in the media root, and each picture's pixels.</summary>
    private async Task<byte[][]> FilmAsync(int frames = Frames)
    {
        var jpegs = await Task.WhenAll(Enumerable.Range(0, frames).Select(i => TestJpegs.CjpegAsync(TestJpegs.Ppm(160, 120, seed: (i * 37) + 1))));
        await File.WriteAllBytesAsync(Path.Combine(_media.FullName, "film.mjpeg"), TestJpegs.LengthPrefixed(jpegs), Token);
        return await Task.WhenAll(jpegs.Select(TestJpegs.DecodeAsync));
    }

    private Task<EdgeTestHost> StartAsync() =>
        EdgeTestHost.StartAsync(true, null, [$"MediaRoot={_media.FullName}", "Mode=on-demand", "Sample:Enabled=false"]);

    /// <summary>What ffmpeg shows of the film, played to its end (it must end by itself), as the film's frame indices.</summary>
    private static async Task<List<int>> PlayToTheEndAsync(EdgeTestHost host, string transport, byte[][] pixels, params string[] input)
    {
        var played = await ExternalTool.RunAsync(
            "ffmpeg",
            ["-v", "error", "-rtsp_transport", transport, .. input, "-i", host.Url("film.mjpeg"), "-c", "copy", "-f", "mjpeg", "-"],
            timeout: TimeSpan.FromSeconds(60));
        return await TestJpegs.IdentifyAsync(TestJpegs.SplitSimple(played), pixels);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Ffmpeg_plays_the_film_from_its_first_frame_to_its_last_and_ends_by_itself(string transport)
    {
        var pixels = await FilmAsync();
        await using var host = await StartAsync();

        var indices = await PlayToTheEndAsync(host, transport, pixels);

        Assert.Equal([.. Enumerable.Range(0, Frames)], indices);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Ffmpeg_seeks_with_ss_and_plays_on_from_the_frame_at_that_time(string transport)
    {
        var pixels = await FilmAsync();
        await using var host = await StartAsync();

        var indices = await PlayToTheEndAsync(host, transport, pixels, "-ss", "0.6");

        // 0.6 s at 25 fps is frame 15. ffmpeg asks for the place twice (PLAY with the Range, then PAUSE and PLAY with
        // it again as it applies -ss); over UDP a datagram of the first play may still be in its socket when the
        // second starts, and it shows it. Every frame is from the place asked or after, and the last play is whole.
        var lastPlay = indices.LastIndexOf(15);
        Assert.True(lastPlay >= 0, $"frame 15 never came: {string.Join(", ", indices)}");
        Assert.Equal([.. Enumerable.Range(15, Frames - 15)], indices[lastPlay..]);
        Assert.All(indices[..lastPlay], index => Assert.InRange(index, 15, Frames - 1));
        if (transport == "tcp")
        {
            Assert.Equal(0, lastPlay); // in order on one connection: nothing of the first play after the second's answer
        }
    }

    [Fact]
    public async Task A_film_is_described_with_its_range_and_bad_ranges_are_457_while_a_seek_is_answered_with_its_place()
    {
        await FilmAsync();
        await using var host = await StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(host.RtspPort);

        var describe = await client.RequestAsync("DESCRIBE", host.Url("film.mjpeg"));
        var sdp = SessionDescription.Parse(Encoding.UTF8.GetString(describe.Body.Span));
        Assert.Equal("npt=0.000-1.200", sdp.Attributes.Single(a => a.Name == "range").Value);
        Assert.DoesNotContain(sdp.Attributes, a => a.Name == "type");

        var setup = await client.RequestAsync("SETUP", host.Url("film.mjpeg") + "/track1", ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"));
        var session = SessionHeader.Parse(setup.GetHeader("Session")!).Id;
        foreach (var bad in new[] { "npt=-5", "npt=1e300", "npt=10-5", "clock=20261204T101500Z-", "garbage" })
        {
            Assert.Equal(457, (await client.RequestAsync("PLAY", host.Url("film.mjpeg"), ("Session", session), ("Range", bad))).StatusCode);
        }

        var play = await client.RequestAsync("PLAY", host.Url("film.mjpeg"), ("Session", session), ("Range", "npt=0.8-"));
        Assert.Equal(200, play.StatusCode);
        Assert.Equal("npt=0.800-1.200", play.GetHeader("Range")); // frame 20 of 30 at 25 fps
        var info = Assert.Single(RtpInfoHeader.Parse(play.GetHeader("RTP-Info")!));
        var (channel, packet) = await client.NextInterleavedAsync();
        while (channel != 0)
        {
            (channel, packet) = await client.NextInterleavedAsync(); // an RTCP report on 1 may come first
        }

        Assert.True(RtpPacket.TryParse(packet, out var first) == RtpPacketError.None);
        Assert.Equal((info.Sequence, info.RtpTime), ((ushort?)first.Header.SequenceNumber, (uint?)first.Header.Timestamp));
    }

    [Fact]
    public async Task An_http_viewer_gets_the_film_from_its_first_frame_and_its_response_ends_with_the_film()
    {
        var pixels = await FilmAsync();
        await using var host = await StartAsync();

        // ffmpeg reads the multipart stream (as the README shows) and ends when the response does.
        var played = await ExternalTool.RunAsync(
            "ffmpeg",
            ["-v", "error", "-f", "mpjpeg", "-i", host.HttpAddress + "/streams/film.mjpeg.mjpeg", "-c", "copy", "-f", "mjpeg", "-"],
            timeout: TimeSpan.FromSeconds(60));

        Assert.Equal([.. Enumerable.Range(0, Frames)], await TestJpegs.IdentifyAsync(TestJpegs.SplitSimple(played), pixels));
    }
}
