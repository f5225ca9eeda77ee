using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.Rtsp.Tests.Client;

/// <summary>
/// An RTSP server for one TCP client that, when told, sends a JPEG frame over and over as RTP interleaved on the
/// connection, as fast as the socket takes it and in writes that end anywhere (<see cref="WriteSize"/>), so the
/// client's reads end in the middle of packets. Sequence numbers start near the wrap and run on without a gap.
/// </summary>
internal sealed class InterleavedFloodServer : IAsyncDisposable
{
    public const uint Ssrc = 0x0F100D00;

    /// <summary>A prime: writes, and so the client's reads, end at every offset within a packet.</summary>
    public const int WriteSize = 7919;

    private const string Sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=flood\r\nt=0 0\r\na=control:*\r\nm=video 0 RTP/AVP 26\r\na=control:track1\r\n";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly PacketizedFrame _frame = new();
    private readonly Lock _writeGate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _playing = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _serving;
    private Socket? _client;
    private ushort _sequence = 65_000;
    private uint _timestamp;

    public InterleavedFloodServer(byte[] jpeg)
    {
        Assert.True(JpegParser.TryParse(jpeg, out var info));
        new RtpJpegPacketizer().Packetize(jpeg, info, _frame);
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string Url => $"rtsp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/flood";

    public int PacketsPerFrame => _frame.PacketCount;

    /// <summary>Sends <paramref name="frames"/> frames once the client is playing.</summary>
    public Task SendAsync(int frames) => SendAsync(Prepare(frames));

    /// <summary>
    /// Sends what <see cref="Prepare"/> made once the client is playing, on a thread of its own with blocking writes
    /// (which allocate nothing, so a test can count the client's allocations).
    /// </summary>
    public async Task SendAsync(byte[] prepared)
    {
        await _playing.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Factory.StartNew(() => Write(prepared), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _client?.Dispose();
        await _serving;
        _stop.Dispose();
    }

    /// <summary>The next <paramref name="frames"/> frames' packets, framed for channel 0, in one array.</summary>
    public byte[] Prepare(int frames)
    {
        var output = new ArrayBufferWriter<byte>();
        for (var f = 0; f < frames; f++)
        {
            _timestamp += 3000;
            for (var i = 0; i < _frame.PacketCount; i++)
            {
                var payload = _frame.GetPayload(i).Span;
                var packet = output.GetSpan(InterleavedFrame.HeaderSize + RtpHeader.Size + payload.Length);
                RtspWriter.WriteInterleavedHeader(packet, 0, RtpHeader.Size + payload.Length);
                new RtpHeader(_frame.IsLast(i), RtpJpegHeader.PayloadType, _sequence++, _timestamp, Ssrc).Write(packet[InterleavedFrame.HeaderSize..]);
                payload.CopyTo(packet[(InterleavedFrame.HeaderSize + RtpHeader.Size)..]);
                output.Advance(InterleavedFrame.HeaderSize + RtpHeader.Size + payload.Length);
            }
        }

        return output.WrittenSpan.ToArray();
    }

    private void Write(byte[] stream)
    {
        for (var at = 0; at < stream.Length; at += WriteSize)
        {
            lock (_writeGate)
            {
                _client!.Send(stream.AsSpan(at, Math.Min(WriteSize, stream.Length - at)));
            }
        }
    }

    private async Task ServeAsync()
    {
        try
        {
            _client = await _listener.AcceptSocketAsync(_stop.Token);
            var reader = new RtspMessageReader();
            var message = new RtspMessage();
            var pending = new ArrayBufferWriter<byte>();
            var buffer = new byte[4096];
            while (true)
            {
                var read = await _client.ReceiveAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                pending.Write(buffer.AsSpan(0, read));
                var sequence = new ReadOnlySequence<byte>(pending.WrittenMemory);
                RtspReadResult result;
                while ((result = reader.TryRead(sequence, message, out _, out var consumed)) != RtspReadResult.NeedMoreData)
                {
                    sequence = sequence.Slice(consumed);
                    if (result == RtspReadResult.Message)
                    {
                        Answer(message);
                    }
                }

                var rest = sequence.ToArray(); // receiver reports and requests are few: copies are fine here
                pending.ResetWrittenCount();
                pending.Write(rest);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client left, or the test is over.
        }
    }

    private void Answer(RtspMessage request)
    {
        var headers = request.Method switch
        {
            RtspMethod.Options => "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n",
            RtspMethod.Describe => $"Content-Type: application/sdp\r\nContent-Length: {Sdp.Length}\r\n",
            RtspMethod.Setup => $"Session: 0F100D;timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc={Ssrc:X8}\r\n",
            _ => string.Empty,
        };
        var body = request.Method == RtspMethod.Describe ? Sdp : string.Empty;
        lock (_writeGate)
        {
            _client!.Send(Encoding.ASCII.GetBytes($"RTSP/1.0 200 OK\r\nCSeq: {request.CSeq}\r\n{headers}\r\n{body}"));
        }

        if (request.Method == RtspMethod.Play)
        {
            _playing.TrySetResult();
        }
    }
}
