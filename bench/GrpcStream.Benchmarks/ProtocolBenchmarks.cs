using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using GrpcStream.Edge.Native;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.Benchmarks;

/// <summary>The per-request and per-frame work of the protocol library, with allocations.</summary>
[MemoryDiagnoser]
public class ProtocolBenchmarks
{
    private const string Setup =
        "SETUP rtsp://127.0.0.1:8554/movie.Mjpeg/track1 RTSP/1.0\r\nCSeq: 3\r\nUser-Agent: Lavf60.16.100\r\n" +
        "Transport: RTP/AVP/UDP;unicast;client_port=5000-5001\r\n\r\n";

    private readonly RtspMessageReader _reader = new();
    private readonly RtspMessage _message = new();
    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private readonly RtpJpegPacketizer _packetizer = new();
    private readonly PacketizedFrame _frame = new();
    private ReadOnlySequence<byte> _request;
    private ReadOnlySequence<byte> _interleaved;
    private byte[] _jpeg = [];
    private Socket _socket = null!;
    private SocketAddress[] _sessions = [];

    [GlobalSetup]
    public void GlobalSetup()
    {
        _request = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(Setup));
        var frame = new byte[4 + 1412];
        RtspWriter.WriteInterleavedHeader(frame, 0, 1412);
        _interleaved = new ReadOnlySequence<byte>(frame);
        _jpeg = Frame640x480();
        if (!JpegParser.TryParse(_jpeg, out var info))
        {
            throw new InvalidOperationException("ffmpeg's frame is not a whole JPEG.");
        }

        _packetizer.Packetize(_jpeg, info, _frame);

        // 100 sessions' destinations on loopback, at a port nothing listens on: the kernel drops the packets after
        // sending, which is the cost being measured.
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _sessions = [.. Enumerable.Range(0, 100).Select(i => new IPEndPoint(IPAddress.Loopback, 40_000 + (2 * i)).Serialize())];
    }

    [GlobalCleanup]
    public void GlobalCleanup() => _socket.Dispose();

    [Benchmark(Description = "parse a SETUP request")]
    public RtspReadResult ParseRequest() => _reader.TryRead(_request, _message, out _, out _);

    [Benchmark(Description = "write a PLAY response")]
    public int WriteResponse()
    {
        _output.ResetWrittenCount();
        var writer = new RtspWriter(_output);
        writer.WriteStatusLine(RtspStatusCode.Ok);
        writer.WriteCSeq(4);
        writer.WriteHeader(SessionHeader.Name, "1234567890123456;timeout=60");
        writer.WriteHeader(RangeHeader.Name, "npt=now-");
        writer.WriteHeader(RtpInfoHeader.Name, "url=rtsp://127.0.0.1:8554/movie.Mjpeg/track1;seq=1234;rtptime=567890");
        writer.WriteEnd();
        return _output.WrittenCount;
    }

    [Benchmark(Description = "packetize a 640x480 frame")]
    public int Packetize()
    {
        return JpegParser.TryParse(_jpeg, out var info) ? Packetize(info) : 0;
    }

    private int Packetize(in JpegImageInfo info)
    {
        _packetizer.Packetize(_jpeg, info, _frame);
        return _frame.PacketCount;
    }

    [Benchmark(Description = "fan one 640x480 frame out to 100 UDP sessions")]
    public int FanOut()
    {
        var sent = 0;
        for (var s = 0; s < _sessions.Length; s++)
        {
            for (var i = 0; i < _frame.PacketCount; i++)
            {
                var packet = _frame.GetPacketWithHeaderRoom(i, RtpHeader.Size).Span;
                new RtpHeader(_frame.IsLast(i), 26, (ushort)(s + i), 3600, (uint)s).Write(packet);
                _socket.SendTo(packet, SocketFlags.None, _sessions[s]);
                sent++;
            }
        }

        return sent;
    }

    [Benchmark(Description = "fan one 640x480 frame out to 100 UDP sessions, segmented")]
    public int FanOutSegmented()
    {
        // The edge's way on Linux: each session's headers in place, then one UDP_SEGMENT send per session.
        Span<Range> ranges = stackalloc Range[UdpSegmentation.MaxSegments];
        var segment = _frame.GetPacketRange(0, RtpHeader.Size).GetOffsetAndLength(_frame.Buffer.Length).Length;
        var sent = 0;
        for (var s = 0; s < _sessions.Length; s++)
        {
            for (var i = 0; i < _frame.PacketCount; i++)
            {
                var packet = _frame.GetPacketWithHeaderRoom(i, RtpHeader.Size).Span;
                new RtpHeader(_frame.IsLast(i), 26, (ushort)(s + i), 3600, (uint)s).Write(packet);
                ranges[i] = _frame.GetPacketRange(i, RtpHeader.Size);
            }

            if (UdpSegmentation.Send(_socket, _frame.Buffer, ranges[.._frame.PacketCount], segment, _sessions[s]) == SegmentedSendResult.Sent)
            {
                sent += _frame.PacketCount;
            }
        }

        return sent;
    }

    [Benchmark(Description = "read an interleaved RTP frame")]
    public RtspReadResult ReadInterleaved() => _reader.TryRead(_interleaved, _message, out _, out _);

    /// <summary>One frame of ffmpeg's test source, 640x480 4:2:0 with the standard Huffman tables.</summary>
    private static byte[] Frame640x480()
    {
        var start = new ProcessStartInfo("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=640x480:rate=25", "-frames:v", "1", "-pix_fmt", "yuvj420p", "-q:v", "4", "-huffman", "default", "-f", "mjpeg", "-"])
        {
            RedirectStandardOutput = true,
        };
        using var ffmpeg = Process.Start(start) ?? throw new InvalidOperationException("ffmpeg is needed to make the benchmark frame.");
        using var output = new MemoryStream();
        ffmpeg.StandardOutput.BaseStream.CopyTo(output);
        ffmpeg.WaitForExit();
        return output.ToArray();
    }
}
