using System.Buffers;
using System.Text;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Testing;

namespace GrpcStream.Rtsp.Tests.Messages;

public class RtspMessageReaderTests
{
    private const string Setup =
        "SETUP rtsp://127.0.0.1:8554/movie.Mjpeg/track1 RTSP/1.0\r\n" +
        "CSeq: 3\r\n" +
        "User-Agent: Lavf60.16.100\r\n" +
        "Transport: RTP/AVP/UDP;unicast;client_port=5000-5001\r\n" +
        "\r\n";

    private const string Announce =
        "ANNOUNCE rtsp://h/s RTSP/1.0\r\n" +
        "CSeq: 7\r\n" +
        "Content-Type: application/sdp\r\n" +
        "Content-Length: 10\r\n" +
        "\r\n" +
        "v=0\r\ns=x\r\n";

    private readonly RtspMessageReader _reader = new();

    [Fact]
    public void A_request_is_parsed()
    {
        var message = Read(Setup, out var consumed);

        Assert.Equal(Setup.Length, consumed);
        Assert.True(message.IsRequest);
        Assert.Equal(RtspMethod.Setup, message.Method);
        Assert.Equal("rtsp://127.0.0.1:8554/movie.Mjpeg/track1", message.Uri);
        Assert.Equal(3, message.CSeq);
        Assert.Equal(3, message.HeaderCount);
        Assert.Equal("RTP/AVP/UDP;unicast;client_port=5000-5001", message.GetHeader("transport"));
        Assert.Equal("Lavf60.16.100", message.GetHeader("USER-AGENT"));
        Assert.Null(message.GetHeader("Session"));
    }

    [Fact]
    public void A_response_with_a_body_is_parsed()
    {
        var text = "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Base: rtsp://h/s/\r\nContent-Length: 5\r\n\r\nhello";

        var message = Read(text, out var consumed);

        Assert.Equal(text.Length, consumed);
        Assert.False(message.IsRequest);
        Assert.Equal(200, message.StatusCode);
        Assert.Equal("OK", message.ReasonPhrase);
        Assert.Equal("hello", Encoding.ASCII.GetString(message.Body.Span));
    }

    [Theory]
    [InlineData(Setup)]
    [InlineData(Announce)]
    public void Every_prefix_needs_more_data_and_consumes_nothing(string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var message = new RtspMessage();
        for (var length = 0; length < bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, length);
            var result = _reader.TryRead(buffer, message, out _, out var consumed);
            Assert.Equal(RtspReadResult.NeedMoreData, result);
            Assert.Equal(0, buffer.Slice(0, consumed).Length);
        }

        Assert.Equal(RtspReadResult.Message, _reader.TryRead(new ReadOnlySequence<byte>(bytes), message, out _, out _));
    }

    [Fact]
    public void A_message_split_over_many_segments_is_parsed()
    {
        var bytes = Encoding.ASCII.GetBytes(Announce);
        var message = new RtspMessage();

        Assert.Equal(RtspReadResult.Message, _reader.TryRead(Sequences.Segmented(bytes, 3), message, out _, out _));
        Assert.Equal(RtspMethod.Announce, message.Method);
        Assert.Equal("v=0\r\ns=x\r\n", Encoding.ASCII.GetString(message.Body.Span));
    }

    [Fact]
    public void Bare_line_feeds_are_accepted()
    {
        var message = Read("OPTIONS * RTSP/1.0\nCSeq: 1\n\n", out _);

        Assert.Equal(RtspMethod.Options, message.Method);
        Assert.Equal("*", message.Uri);
        Assert.Equal(1, message.CSeq);
    }

    [Fact]
    public void The_lab_dialect_is_complete_after_a_quiet_gap()
    {
        var text = "SETUP movie.Mjpeg RTSP/1.0\nCSeq: 1\nTransport: RTP/UDP; client_port= 25000";
        var bytes = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text));
        var message = new RtspMessage();

        Assert.Equal(RtspReadResult.NeedMoreData, _reader.TryRead(bytes, message, out _, out _));
        Assert.Equal(RtspReadResult.Message, _reader.TryRead(bytes, message, out _, out var consumed, endOfInputEndsHeaders: true));
        Assert.Equal(bytes.End, consumed);
        Assert.True(message.HeadersEndedByEndOfInput);
        Assert.Equal("movie.Mjpeg", message.Uri);
        Assert.Equal("RTP/UDP; client_port= 25000", message.GetHeader("Transport"));
    }

    [Fact]
    public void Interleaved_frames_mix_with_messages()
    {
        byte[] frame = [(byte)'$', 1, 0, 3, 0xAA, 0xBB, 0xCC];
        var bytes = frame.Concat(Encoding.ASCII.GetBytes("GET_PARAMETER rtsp://h/s RTSP/1.0\r\nCSeq: 9\r\nSession: abc\r\n\r\n")).Concat(frame).ToArray();
        var buffer = new ReadOnlySequence<byte>(bytes);
        var message = new RtspMessage();
        var kinds = new List<RtspReadResult>();

        while (!buffer.IsEmpty)
        {
            var result = _reader.TryRead(buffer, message, out var interleaved, out var consumed);
            kinds.Add(result);
            if (result == RtspReadResult.InterleavedFrame)
            {
                Assert.Equal(1, interleaved.Channel);
                Assert.Equal([0xAA, 0xBB, 0xCC], interleaved.Payload.ToArray());
            }

            buffer = buffer.Slice(consumed);
        }

        Assert.Equal([RtspReadResult.InterleavedFrame, RtspReadResult.Message, RtspReadResult.InterleavedFrame], kinds);
        Assert.Equal("abc", message.GetHeader("Session"));
    }

    [Fact]
    public void A_truncated_interleaved_frame_needs_more_data()
    {
        byte[] frame = [(byte)'$', 0, 0x05, 0xDC, 1, 2, 3]; // says 1500 bytes, has 3

        var result = _reader.TryRead(new ReadOnlySequence<byte>(frame), new RtspMessage(), out _, out _);

        Assert.Equal(RtspReadResult.NeedMoreData, result);
    }

    public static TheoryData<string, string, RtspProtocolError, int> Malformed => new()
    {
        { "start line too long", "OPTIONS rtsp://h/" + new string('a', 5000) + " RTSP/1.0\r\n\r\n", RtspProtocolError.StartLineTooLong, 414 },
        { "start line never ends", "OPTIONS rtsp://h/" + new string('a', 5000), RtspProtocolError.StartLineTooLong, 414 },
        { "headers too large", "OPTIONS * RTSP/1.0\r\nX-Big: " + new string('b', 20_000) + "\r\n\r\n", RtspProtocolError.HeadersTooLarge, 431 },
        { "headers never end", "OPTIONS * RTSP/1.0\r\nX-Big: " + new string('b', 20_000), RtspProtocolError.HeadersTooLarge, 431 },
        { "too many headers", "OPTIONS * RTSP/1.0\r\n" + string.Concat(Enumerable.Range(0, 70).Select(i => $"X-{i}: v\r\n")) + "\r\n", RtspProtocolError.TooManyHeaders, 431 },
        { "negative content length", "ANNOUNCE * RTSP/1.0\r\nContent-Length: -1\r\n\r\n", RtspProtocolError.BadContentLength, 400 },
        { "non-numeric content length", "ANNOUNCE * RTSP/1.0\r\nContent-Length: ten\r\n\r\n", RtspProtocolError.BadContentLength, 400 },
        { "huge content length", "ANNOUNCE * RTSP/1.0\r\nContent-Length: 99999999999999999999\r\n\r\n", RtspProtocolError.BadContentLength, 400 },
        { "content length over the cap", "ANNOUNCE * RTSP/1.0\r\nContent-Length: 10000000\r\n\r\n", RtspProtocolError.ContentTooLarge, 413 },
        { "binary garbage", "\u0001\u0002\u0003garbage\r\n\r\n", RtspProtocolError.BadStartLine, 400 },
        { "HTTP request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", RtspProtocolError.BadStartLine, 400 },
        { "RTSP 2.0", "OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n", RtspProtocolError.UnsupportedVersion, 505 },
        { "no URI", "OPTIONS RTSP/1.0\r\n\r\n", RtspProtocolError.BadStartLine, 400 },
        { "header without colon", "OPTIONS * RTSP/1.0\r\nCSeq 1\r\n\r\n", RtspProtocolError.BadHeaderLine, 400 },
        { "folded header", "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n  continued\r\n\r\n", RtspProtocolError.BadHeaderLine, 400 },
        { "bad CSeq", "OPTIONS * RTSP/1.0\r\nCSeq: one\r\n\r\n", RtspProtocolError.BadCSeq, 400 },
        { "bad status line", "RTSP/1.0 2x0 OK\r\n\r\n", RtspProtocolError.BadStartLine, 400 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_input_gives_a_typed_error_with_a_status_code(string what, string text, RtspProtocolError error, int statusCode)
    {
        var exception = Assert.Throws<RtspProtocolException>(() => Read(text, out _));

        Assert.True(error == exception.Error, $"{what}: {exception.Error}");
        Assert.Equal(statusCode, exception.StatusCode);
    }

    [Fact]
    public void Limits_are_the_callers_to_set()
    {
        var strict = new RtspMessageReader(new RtspLimits { MaxHeaderCount = 2 });

        var error = Assert.Throws<RtspProtocolException>(() => strict.TryRead(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(Setup)), new RtspMessage(), out _, out _));

        Assert.Equal(RtspProtocolError.TooManyHeaders, error.Error);
    }

    [Fact]
    public void Parsing_a_typical_request_allocates_nothing_once_warm()
    {
        var bytes = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(Setup));
        var message = new RtspMessage();
        _reader.TryRead(bytes, message, out _, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var read = 0;
        for (var i = 0; i < 100; i++)
        {
            read += _reader.TryRead(bytes, message, out _, out _) == RtspReadResult.Message && message.TryGetHeader("Transport"u8, out _) ? 1 : 0;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(100, read);
    }

    private RtspMessage Read(string text, out long consumedBytes)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text));
        var message = new RtspMessage();
        var result = _reader.TryRead(buffer, message, out _, out var consumed);
        Assert.Equal(RtspReadResult.Message, result);
        consumedBytes = buffer.Slice(0, consumed).Length;
        return message;
    }
}
