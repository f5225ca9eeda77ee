using GrpcStream.Rtsp.Headers;

namespace GrpcStream.Rtsp.Tests.Headers;

public class HeaderTests
{
    [Fact]
    public void Transport_alternatives_are_read_in_order()
    {
        var specs = TransportHeader.Parse("RTP/AVP/TCP;unicast;interleaved=0-1, RTP/AVP;unicast;client_port=6970-6971;mode=\"PLAY\",RTP/AVP/UDP;multicast;destination=232.0.0.1;ttl=8");

        Assert.Equal(3, specs.Count);
        Assert.Equal(LowerTransport.Tcp, specs[0].LowerTransport);
        Assert.Equal(new NumberRange(0, 1), specs[0].Interleaved);
        Assert.Equal(LowerTransport.Udp, specs[1].LowerTransport);
        Assert.Equal(new NumberRange(6970, 6971), specs[1].ClientPorts);
        Assert.Equal("PLAY", specs[1].Mode);
        Assert.True(specs[2].IsMulticast);
        Assert.Equal("232.0.0.1", specs[2].Destination);
        Assert.Equal(8, specs[2].Ttl);
        Assert.All(specs, s => Assert.True(s.IsRtpAvp));
    }

    [Fact]
    public void The_lab_transport_is_understood_but_not_rtp_avp()
    {
        var spec = Assert.Single(TransportHeader.Parse("RTP/UDP; client_port= 25000"));

        Assert.Equal(LowerTransport.Udp, spec.LowerTransport);
        Assert.Equal(new NumberRange(25000, 25000), spec.ClientPorts);
        Assert.False(spec.IsRtpAvp);
    }

    [Fact]
    public void A_server_transport_is_written_in_the_usual_form()
    {
        var spec = new TransportSpec { ClientPorts = new NumberRange(5000, 5001), ServerPorts = new NumberRange(6000, 6001), Ssrc = 0xA1B2C3D4 };

        Assert.Equal("RTP/AVP;unicast;client_port=5000-5001;server_port=6000-6001;ssrc=A1B2C3D4", spec.ToString());
        Assert.Equal(spec, Assert.Single(TransportHeader.Parse(spec.ToString())));
    }

    [Theory]
    [InlineData("RTP/AVP;unicast;client_port=70000-70001")]
    [InlineData("RTP/AVP;unicast;client_port=5001-5000")]
    [InlineData("RTP/AVP;unicast;client_port=abc")]
    [InlineData("RTP/AVP/TCP;interleaved=300-301")]
    [InlineData("RTP/AVP;ssrc=xyz")]
    [InlineData("HTTP/1.1")]
    [InlineData("")]
    public void Nonsense_transports_are_refused(string value)
    {
        Assert.Throws<RtspHeaderException>(() => TransportHeader.Parse(value));
    }

    [Fact]
    public void Session_header_with_and_without_timeout()
    {
        Assert.Equal(new SessionHeader("12345678", 60), SessionHeader.Parse("12345678;timeout=60"));
        Assert.Equal(new SessionHeader("abc"), SessionHeader.Parse(" abc "));
        Assert.Equal("abc;timeout=30", new SessionHeader("abc", 30).ToString());
        Assert.Throws<RtspHeaderException>(() => SessionHeader.Parse(";timeout=60"));
        Assert.Throws<RtspHeaderException>(() => SessionHeader.Parse("abc;timeout=soon"));
    }

    [Theory]
    [InlineData("npt=0-", 0.0, null, false)]
    [InlineData("npt=now-", null, null, true)]
    [InlineData("npt=10.5-20", 10.5, 20.0, false)]
    [InlineData("npt=0:01:02.5-", 62.5, null, false)]
    [InlineData("npt=-30", null, 30.0, false)]
    public void Range_in_normal_play_time(string value, double? start, double? end, bool now)
    {
        Assert.Equal(new RangeHeader(start, end, now), RangeHeader.Parse(value));
    }

    [Theory]
    [InlineData("smpte=0:10:00-")]
    [InlineData("clock=19961108T143720.25Z-")]
    [InlineData("npt=20-10")]
    [InlineData("npt=abc-")]
    [InlineData("npt=-")]
    public void Unsupported_or_broken_ranges_are_refused(string value)
    {
        Assert.Throws<RtspHeaderException>(() => RangeHeader.Parse(value));
    }

    [Fact]
    public void Rtp_info_lists_each_stream()
    {
        var entries = RtpInfoHeader.Parse("url=rtsp://h/s/track1;seq=45102;rtptime=12345678,url=rtsp://h/s/track2;seq=30211");

        Assert.Equal([new RtpInfoEntry("rtsp://h/s/track1", 45102, 12345678), new RtpInfoEntry("rtsp://h/s/track2", 30211, null)], entries);
        Assert.Equal("url=rtsp://h/s/track1;seq=45102;rtptime=12345678,url=rtsp://h/s/track2;seq=30211", RtpInfoHeader.Format(entries));
    }

    [Fact]
    public void Rtsp_urls_parse_with_default_port_and_credentials()
    {
        var url = RtspUrl.Parse("rtsp://user:p%40ss@[::1]/live/movie.Mjpeg");
        var plain = RtspUrl.Parse("rtsp://example.com:8554/movie.Mjpeg");

        Assert.Equal(("::1", 554, "/live/movie.Mjpeg", "user", "p@ss"), (url.Host, url.Port, url.Path, url.UserName, url.Password));
        Assert.Equal(("example.com", 8554, "/movie.Mjpeg"), (plain.Host, plain.Port, plain.Path));
        Assert.Equal("rtsp://example.com:8554/movie.Mjpeg", plain.ToString());
        Assert.False(RtspUrl.TryParse("http://example.com/x", out _));
        Assert.False(RtspUrl.TryParse("movie.Mjpeg", out _));
    }

    [Theory]
    [InlineData("rtsp://h:8554/movie.Mjpeg/", "track1", "rtsp://h:8554/movie.Mjpeg/track1")]
    [InlineData("rtsp://h:8554/movie.Mjpeg", "track1", "rtsp://h:8554/movie.Mjpeg/track1")]
    [InlineData("rtsp://h:8554/movie.Mjpeg/", "*", "rtsp://h:8554/movie.Mjpeg/")]
    [InlineData("rtsp://h:8554/movie.Mjpeg/", "rtsp://other/x/trackID=0", "rtsp://other/x/trackID=0")]
    [InlineData("rtsp://h:8554/a/b", "/c/d", "rtsp://h:8554/c/d")]
    public void Control_urls_resolve_like_live555(string baseUrl, string control, string expected)
    {
        Assert.Equal(expected, RtspUrl.ResolveControl(baseUrl, control));
    }
}
