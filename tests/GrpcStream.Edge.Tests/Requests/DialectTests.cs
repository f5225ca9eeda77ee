using System.Buffers;
using System.Text;
using GrpcStream.Edge.Requests;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Edge.Tests.Requests;

/// <summary>How the two dialects frame, and how they answer.</summary>
public class DialectTests
{
    [Theory]
    [InlineData("SETUP movie.Mjpeg RTSP/1.0\nCSeq: 1\nTransport: RTP/UDP; client_port= 25000", true)]
    [InlineData("PLAY movie.Mjpeg RTSP/1.0\nCSeq: 2", true)]
    [InlineData("SETUP movie.Mjpeg", true)]
    [InlineData("OPTIONS rtsp://host/movie.Mjpeg RTSP/1.0\r\nCSeq: 1\r\n", false)]
    [InlineData("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n", false)]
    [InlineData("$\u0000\u0010\u0000 abc def", false)]
    [InlineData("GARBAGE", false)]
    public void Only_a_request_with_a_bare_name_may_end_at_a_quiet_gap(string pending, bool expected)
    {
        var bytes = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(pending));

        Assert.Equal(expected, RtspDialect.Lab.MayEndAtQuietGap(bytes));
        Assert.False(RtspDialect.Standard.MayEndAtQuietGap(bytes));
    }

    [Theory]
    [InlineData("SETUP movie.Mjpeg RTSP/1.0\r\nCSeq: 1\r\n\r\n", true)]
    [InlineData("OPTIONS rtsp://host/movie.Mjpeg RTSP/1.0\r\nCSeq: 1\r\n\r\n", false)]
    [InlineData("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n", false)]
    public void The_first_request_chooses_the_dialect(string request, bool lab)
    {
        var message = new RtspMessage();
        Assert.Equal(RtspReadResult.Message, new RtspMessageReader().TryRead(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(request)), message, out _, out _));

        Assert.Same(lab ? RtspDialect.Lab : RtspDialect.Standard, RtspDialect.Of(message));
    }

    [Fact]
    public void The_lab_answer_is_three_lf_lines_and_nothing_else()
    {
        var response = RtspResponse.Ok.With("Transport", "ignored by the lab client") with { CSeq = 7 };

        Assert.Equal("RTSP/1.0 200 OK\nCSeq: 7", Encoding.ASCII.GetString(RtspDialect.Lab.Write(response, 60)));
    }

    [Fact]
    public void The_standard_answer_has_crlf_headers_and_a_blank_line()
    {
        var response = RtspResponse.Of(454, "Allow", "OPTIONS") with { CSeq = 7 };

        var text = Encoding.ASCII.GetString(RtspDialect.Standard.Write(response, 60));

        Assert.StartsWith("RTSP/1.0 454 Session Not Found\r\nCSeq: 7\r\nAllow: OPTIONS\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_response_is_a_value_that_adding_a_header_copies()
    {
        var refused = RtspResponse.Of(455, "Allow", "OPTIONS");
        var more = refused.With("Retry-After", "5");

        Assert.Equal([("Allow", "OPTIONS")], refused.Headers);
        Assert.Equal([("Allow", "OPTIONS"), ("Retry-After", "5")], more.Headers);
        Assert.Empty(RtspResponse.Ok.Headers);
    }
}
