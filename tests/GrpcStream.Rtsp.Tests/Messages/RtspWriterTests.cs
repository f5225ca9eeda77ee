using System.Buffers;
using System.Text;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Rtsp.Tests.Messages;

public class RtspWriterTests
{
    [Fact]
    public void A_play_response_is_written_as_players_expect()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new RtspWriter(output);

        writer.WriteStatusLine(RtspStatusCode.Ok);
        writer.WriteCSeq(4);
        writer.WriteHeader(SessionHeader.Name, new SessionHeader("3F2A9C", 60).ToString());
        writer.WriteHeader(RangeHeader.Name, RangeHeader.FromStart.ToString());
        writer.WriteHeader(RtpInfoHeader.Name, RtpInfoHeader.Format([new RtpInfoEntry("rtsp://h:8554/movie.Mjpeg/track1", 1234, 567890)]));
        writer.WriteEnd();

        Assert.Equal(
            "RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: 3F2A9C;timeout=60\r\nRange: npt=0.000-\r\nRTP-Info: url=rtsp://h:8554/movie.Mjpeg/track1;seq=1234;rtptime=567890\r\n\r\n",
            Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void A_describe_response_carries_its_body_length_and_base()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new RtspWriter(output);
        var sdp = "v=0\r\n"u8;

        writer.WriteStatusLine(RtspStatusCode.Ok);
        writer.WriteCSeq(2);
        writer.WriteHeader("Content-Base", "rtsp://h:8554/movie.Mjpeg/");
        writer.WriteEnd(sdp, "application/sdp");

        Assert.Equal(
            "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Base: rtsp://h:8554/movie.Mjpeg/\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n",
            Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Requests_and_errors_round_trip_through_the_reader()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new RtspWriter(output);
        writer.WriteRequestLine(RtspMethod.Setup, "rtsp://h/s/track1");
        writer.WriteCSeq(3);
        writer.WriteHeader(TransportHeader.Name, TransportHeader.Format([new TransportSpec { LowerTransport = LowerTransport.Tcp, Interleaved = new NumberRange(0, 1) }]));
        writer.WriteEnd();
        writer.WriteStatusLine(RtspStatusCode.MethodNotValidInThisState);
        writer.WriteCSeq(5);
        writer.WriteHeader("Allow", "OPTIONS, SETUP, TEARDOWN");
        writer.WriteEnd();

        var reader = new RtspMessageReader();
        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);
        var message = new RtspMessage();
        Assert.Equal(RtspReadResult.Message, reader.TryRead(buffer, message, out _, out var consumed));
        Assert.Equal(RtspMethod.Setup, message.Method);
        Assert.Equal("RTP/AVP/TCP;unicast;interleaved=0-1", message.GetHeader("Transport"));
        Assert.Equal(RtspReadResult.Message, reader.TryRead(buffer.Slice(consumed), message, out _, out _));
        Assert.Equal(455, message.StatusCode);
        Assert.Equal("Method Not Valid in This State", message.ReasonPhrase);
    }

    [Fact]
    public void The_lab_dialect_is_answered_with_line_feeds()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new RtspWriter(output) { BareLineFeeds = true };

        writer.WriteStatusLine(RtspStatusCode.Ok);
        writer.WriteCSeq(1);
        writer.WriteHeader("Session", "123456");
        writer.WriteEnd();

        Assert.Equal("RTSP/1.0 200 OK\nCSeq: 1\nSession: 123456\n\n", Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Interleaved_header_is_dollar_channel_length()
    {
        var header = new byte[4];

        RtspWriter.WriteInterleavedHeader(header, 1, 1412);

        Assert.Equal([(byte)'$', 1, 0x05, 0x84], header);
    }
}
