using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.Testing;

/// <summary>
/// An RTSP server for one client that plays an honest JPEG stream and mixes into it what a hostile server, or a
/// third party on the network, can send: the same stream's SSRC from a port the server never announced, another
/// SSRC from the announced port, and a fragment claiming a 16 MB offset; and, when asked, its RTP from another address
/// than its RTSP (as behind Docker's published ports) and forged frames with the session's SSRC from the announced
/// port number on a third address (an injector on the network). Only honest frames may come out of a client; the
/// forged ones are a different picture (<see cref="ForgedJpeg"/>), so any that gets through shows.
/// </summary>
public sealed class HostileRtspServer : IAsyncDisposable
{
    public const uint Ssrc = 0x5EED5EED;
    public const uint ForeignSsrc = 0x0BADBAD0;
    private const string Sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=hostile\r\nt=0 0\r\na=control:*\r\nm=video 0 RTP/AVP 26\r\na=control:track1\r\n";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Socket _rtp = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _foreign = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket? _injector;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly PacketizedFrame _honest = new();
    private readonly PacketizedFrame _forged = new();
    private readonly Task _serving;
    private NetworkStream? _stream;
    private IPEndPoint? _clientRtp;
    private Task _sending = Task.CompletedTask;
    private ushort _sequence;

    /// <param name="honestJpeg">The session's picture.</param>
    /// <param name="forgedJpeg">What forged packets carry.</param>
    /// <param name="rtpFrom">The address the session's RTP comes from (the RTSP server is at 127.0.0.1).</param>
    /// <param name="injectFrom">Where an injector sends forged frames with the session's SSRC from the announced port number; none when null.</param>
    public HostileRtspServer(byte[] honestJpeg, byte[] forgedJpeg, string rtpFrom = "127.0.0.1", string? injectFrom = null)
    {
        ForgedJpeg = forgedJpeg;
        Packetize(honestJpeg, _honest);
        Packetize(forgedJpeg, _forged);
        _rtp.Bind(new IPEndPoint(IPAddress.Parse(rtpFrom), 0));
        if (injectFrom is not null)
        {
            _injector = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _injector.Bind(new IPEndPoint(IPAddress.Parse(injectFrom), ((IPEndPoint)_rtp.LocalEndPoint!).Port));
        }

        _foreign.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string Url => $"rtsp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hostile";

    public byte[] ForgedJpeg { get; }

    /// <summary>Packets sent that a client must reject: forged port or SSRC.</summary>
    public int ForgedPackets { get; private set; }

    private static void Packetize(byte[] jpeg, PacketizedFrame frame)
    {
        Assert.True(JpegParser.TryParse(jpeg, out var info));
        new RtpJpegPacketizer().Packetize(jpeg, info, frame);
    }

    private async Task ServeAsync()
    {
        try
        {
            using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _stream = client.GetStream();
            var reader = new RtspMessageReader();
            var message = new RtspMessage();
            var pending = Array.Empty<byte>();
            var buffer = new byte[4096];
            while (true)
            {
                var read = await _stream.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                pending = [.. pending, .. buffer.AsSpan(0, read)];
                var sequence = new ReadOnlySequence<byte>(pending);
                RtspReadResult result;
                while ((result = reader.TryRead(sequence, message, out _, out var consumed)) != RtspReadResult.NeedMoreData)
                {
                    sequence = sequence.Slice(consumed);
                    if (result == RtspReadResult.Message)
                    {
                        await AnswerAsync(client, message);
                    }
                }

                pending = sequence.ToArray();
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client left, or the test is over.
        }
    }

    private async Task AnswerAsync(TcpClient client, RtspMessage request)
    {
        var headers = new StringBuilder();
        var body = string.Empty;
        if (request.Method == RtspMethod.Describe)
        {
            headers.Append($"Content-Type: application/sdp\r\nContent-Length: {Sdp.Length}\r\n");
            body = Sdp;
        }
        else if (request.Method == RtspMethod.Setup && TransportHeader.Parse(request.GetHeader(TransportHeader.Name)!) is [var offered, ..])
        {
            var port = ((IPEndPoint)_rtp.LocalEndPoint!).Port;
            string transport;
            if (offered.ClientPorts is { } ports)
            {
                _clientRtp = new IPEndPoint(((IPEndPoint)client.Client.RemoteEndPoint!).Address.MapToIPv4(), ports.First);
                transport = $"RTP/AVP;unicast;client_port={ports};server_port={port}-{port + 1};ssrc={Ssrc:X8}";
            }
            else
            {
                transport = $"RTP/AVP/TCP;unicast;interleaved=0-1;ssrc={Ssrc:X8}";
            }

            headers.Append($"Session: 12345678;timeout=60\r\nTransport: {transport}\r\n");
        }
        else if (request.Method == RtspMethod.Options)
        {
            headers.Append("Public: OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN\r\n");
        }

        await WriteAsync(Encoding.ASCII.GetBytes($"RTSP/1.0 200 OK\r\nCSeq: {request.CSeq}\r\n{headers}\r\n{body}"));
        if (request.Method == RtspMethod.Play)
        {
            _sending = Task.Run(SendAsync);
        }
        else if (request.Method == RtspMethod.Teardown)
        {
            await _stop.CancelAsync();
        }
    }

    private async Task SendAsync()
    {
        uint timestamp = 0;
        var farOffset = new byte[RtpHeader.Size + RtpJpegHeader.Size + 1000];
        while (!_stop.IsCancellationRequested)
        {
            timestamp += 3600;
            await SendFrameAsync(_forged, timestamp, Ssrc, fromForeignPort: true);
            await SendFrameAsync(_forged, timestamp, ForeignSsrc, fromForeignPort: false);
            await SendFrameAsync(_honest, timestamp, Ssrc, fromForeignPort: false);
            if (_injector is not null && _clientRtp is { } client)
            {
                // After the honest frame, so that the session's own source is the first to arrive.
                timestamp += 3600;
                for (var i = 0; i < _forged.PacketCount; i++)
                {
                    var packet = new byte[RtpHeader.Size + _forged.GetPayload(i).Length];
                    new RtpHeader(_forged.IsLast(i), RtpJpegHeader.PayloadType, _sequence++, timestamp, Ssrc).Write(packet);
                    _forged.GetPayload(i).Span.CopyTo(packet.AsSpan(RtpHeader.Size));
                    await SendQuietlyAsync(() => _injector.SendToAsync(packet, client, _stop.Token).AsTask());
                    ForgedPackets++;
                }
            }

            // The session's own SSRC and port, and a fragment claiming to sit near the 16 MB end of a frame.
            timestamp += 3600;
            new RtpHeader(true, RtpJpegHeader.PayloadType, _sequence++, timestamp, Ssrc).Write(farOffset);
            new RtpJpegHeader(0, RtpJpegCompatibility.MaxFrameBytes - 2000, 1, 50, 8, 6).Write(farOffset.AsSpan(RtpHeader.Size));
            await SendAsync(farOffset, fromForeignPort: false);
            await Task.Delay(20, _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task SendFrameAsync(PacketizedFrame frame, uint timestamp, uint ssrc, bool fromForeignPort)
    {
        var forged = fromForeignPort || ssrc != Ssrc;
        if (forged && _clientRtp is null && fromForeignPort)
        {
            return; // over TCP there is no other port to send from
        }

        for (var i = 0; i < frame.PacketCount; i++)
        {
            var payload = frame.GetPayload(i);
            var packet = new byte[RtpHeader.Size + payload.Length];
            // Forged packets take no sequence numbers from the honest stream: they come from someone else.
            new RtpHeader(frame.IsLast(i), RtpJpegHeader.PayloadType, forged ? (ushort)(i + 40000) : _sequence++, timestamp, ssrc).Write(packet);
            payload.Span.CopyTo(packet.AsSpan(RtpHeader.Size));
            await SendAsync(packet, fromForeignPort);
            ForgedPackets += forged ? 1 : 0;
        }
    }

    private async Task SendAsync(byte[] packet, bool fromForeignPort)
    {
        try
        {
            if (_clientRtp is { } client)
            {
                await (fromForeignPort ? _foreign : _rtp).SendToAsync(packet, client, _stop.Token);
                return;
            }

            var framed = new byte[InterleavedFrame.HeaderSize + packet.Length];
            RtspWriter.WriteInterleavedHeader(framed, 0, packet.Length);
            packet.CopyTo(framed, InterleavedFrame.HeaderSize);
            await WriteAsync(framed);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client left.
        }
    }

    private static async Task SendQuietlyAsync(Func<Task> send)
    {
        try
        {
            await send();
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client left.
        }
    }

    private async Task WriteAsync(byte[] bytes)
    {
        await _writeGate.WaitAsync(_stop.Token);
        try
        {
            await _stream!.WriteAsync(bytes, _stop.Token);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serving;
        await _sending;
        _rtp.Dispose();
        _foreign.Dispose();
        _injector?.Dispose();
        _writeGate.Dispose();
        _stop.Dispose();
    }
}
