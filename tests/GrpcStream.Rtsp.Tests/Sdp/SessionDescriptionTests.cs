using GrpcStream.Rtsp.Sdp;

namespace GrpcStream.Rtsp.Tests.Sdp;

public class SessionDescriptionTests
{
    [Fact]
    public void The_jpeg_description_has_what_players_need()
    {
        var sdp = JpegSessionDescription.Create("movie.Mjpeg", 25, 320, 240, 42, "127.0.0.1").ToString();

        Assert.Equal(
            "v=0\r\no=- 42 1 IN IP4 127.0.0.1\r\ns=movie.Mjpeg\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n" +
            "a=tool:GrpcStream\r\na=type:broadcast\r\na=control:*\r\na=range:npt=now-\r\n" +
            "m=video 0 RTP/AVP 26\r\na=rtpmap:26 JPEG/90000\r\na=control:track1\r\na=framerate:25\r\n",
            sdp);
    }

    [Theory]
    [InlineData(3840, 2160, "3840,2160")]
    [InlineData(101, 75, "101,75")]
    [InlineData(640, 480, null)]
    public void Sizes_the_jpeg_header_cannot_give_go_in_x_dimensions(int width, int height, string? expected)
    {
        var video = JpegSessionDescription.Create("s", 30, width, height, 1, "0.0.0.0").Media[0];

        Assert.Equal(expected, video.GetAttribute("x-dimensions"));
        Assert.Equal(expected is null ? null : (width, height), video.Dimensions);
    }

    [Fact]
    public void Our_description_parses_back()
    {
        var text = JpegSessionDescription.Create("movie.Mjpeg", 29.97, 3840, 2160, 7, "10.0.0.1").ToString();

        var parsed = SessionDescription.Parse(text);

        Assert.Equal("movie.Mjpeg", parsed.SessionName);
        Assert.Equal("*", parsed.Control);
        var video = Assert.Single(parsed.Media);
        Assert.Equal(("video", 0, "RTP/AVP", 26), (video.Media, video.Port, video.Protocol, video.PayloadType));
        Assert.Equal(("JPEG", 90_000), video.RtpMap(26));
        Assert.Equal(29.97, video.FrameRate);
        Assert.Equal("track1", video.Control);
        Assert.Equal((3840, 2160), video.Dimensions);
        Assert.Equal(text, parsed.ToString());
    }

    [Fact]
    public void A_gstreamer_style_description_with_lf_endings_parses()
    {
        const string text = "v=0\no=- 1188340656180883 1 IN IP4 127.0.0.1\ns=Session streamed with GStreamer\ni=rtsp-server\nt=0 0\n" +
            "a=tool:GStreamer\na=type:broadcast\na=range:npt=now-\na=control:rtsp://127.0.0.1:8554/test\n" +
            "m=video 0 RTP/AVP 96\nc=IN IP4 0.0.0.0\nb=AS:2000\na=rtpmap:96 JPEG/90000\na=framerate:30\na=control:rtsp://127.0.0.1:8554/test/stream=0\n" +
            "m=audio 0 RTP/AVP 0\na=control:stream=1\n";

        var parsed = SessionDescription.Parse(text);

        Assert.Equal(2, parsed.Media.Count);
        var video = parsed.Media[0];
        Assert.Equal(96, video.PayloadType);
        Assert.Equal(("JPEG", 90_000), video.RtpMap(96));
        Assert.Equal(30, video.FrameRate);
        Assert.Equal("rtsp://127.0.0.1:8554/test/stream=0", video.Control);
        Assert.Equal("IN IP4 0.0.0.0", video.Connection);
        // The audio track has a static payload type and no rtpmap line: the type is read, and no mapping is made up.
        Assert.Equal(("audio", 0, "stream=1"), (parsed.Media[1].Media, parsed.Media[1].PayloadType, parsed.Media[1].Control));
        Assert.Null(parsed.Media[1].RtpMap(0));
    }

    [Fact]
    public void A_live555_style_description_with_a_static_payload_type_parses()
    {
        const string text = "v=0\r\no=- 1700000000000000 1 IN IP4 192.168.1.10\r\ns=MJPEG Video, streamed by the LIVE555 Media Server\r\n" +
            "i=movie.mjpeg\r\nt=0 0\r\na=tool:LIVE555 Streaming Media\r\na=type:broadcast\r\na=control:*\r\na=range:npt=0-\r\n" +
            "a=x-qt-text-nam:MJPEG Video\r\nm=video 0 RTP/AVP 26\r\nc=IN IP4 0.0.0.0\r\nb=AS:500\r\na=control:track1\r\n";

        var parsed = SessionDescription.Parse(text);

        var video = Assert.Single(parsed.Media);
        Assert.Equal(("JPEG", 90_000), video.RtpMap(26));
        Assert.Null(video.FrameRate);
        Assert.Equal("track1", video.Control);
        Assert.Equal("npt=0-", parsed.GetAttribute("range"));
    }

    [Fact]
    public void Garbage_lines_are_skipped()
    {
        var parsed = SessionDescription.Parse("hello\r\nv=0\r\nm=video\r\nm=video 0 RTP/AVP 26\r\n==\r\na=control:track1\r\n");

        Assert.Equal("track1", Assert.Single(parsed.Media).Control);
    }
}
