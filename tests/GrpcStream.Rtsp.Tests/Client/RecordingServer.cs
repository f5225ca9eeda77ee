using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Rtsp.Tests.Client;

/// <summary>
/// An RTSP server for one TCP client that answers every request with 200 (the session's headers where a
/// publisher or player needs them) and keeps what it received: the requests, and the interleaved frames. Given a
/// challenge, it answers a request without Authorization with 401 and that challenge first.
/// </summary>
internal sealed class RecordingServer : IAsyncDisposable
{
    public const string SessionId = "5E55104";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly string? _challenge;
    private readonly Task _serving;
    private readonly List<RtspMessage> _requests = [];
    private readonly List<(byte Channel, byte[] Payload)> _interleaved = [];
    private Socket? _client;

    public RecordingServer(string? challenge = null)
    {
        _challenge = challenge;
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string Url => $"rtsp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/live/cam";

    public IReadOnlyList<RtspMessage> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public IReadOnlyList<(byte Channel, byte[] Payload)> Interleaved
    {
        get
        {
            lock (_interleaved)
            {
                return [.. _interleaved];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _client?.Dispose();
        await _serving;
        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        try
        {
            _client = await _listener.AcceptSocketAsync(_stop.Token);
            var reader = new RtspMessageReader();
            var message = new RtspMessage();
            var pending = new ArrayBufferWriter<byte>();
            var buffer = new byte[65536];
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
                while ((result = reader.TryRead(sequence, message, out var frame, out var consumed)) != RtspReadResult.NeedMoreData)
                {
                    if (result == RtspReadResult.Message)
                    {
                        Answer(message);
                    }
                    else if (result == RtspReadResult.InterleavedFrame)
                    {
                        lock (_interleaved)
                        {
                            _interleaved.Add((frame.Channel, frame.Payload.ToArray()));
                        }
                    }

                    sequence = sequence.Slice(consumed);
                }

                var rest = sequence.ToArray();
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
        lock (_requests)
        {
            _requests.Add(request.Clone());
        }

        string reply;
        if (_challenge is not null && request.GetHeader("Authorization") is null)
        {
            reply = $"RTSP/1.0 401 Unauthorized\r\nCSeq: {request.CSeq}\r\nWWW-Authenticate: {_challenge}\r\n\r\n";
        }
        else
        {
            var headers = request.Method switch
            {
                RtspMethod.Options => "Public: OPTIONS, ANNOUNCE, SETUP, RECORD, TEARDOWN\r\n",
                RtspMethod.Setup => $"Session: {SessionId};timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=4-5;mode=record\r\n",
                _ => string.Empty,
            };
            reply = $"RTSP/1.0 200 OK\r\nCSeq: {request.CSeq}\r\n{headers}\r\n";
        }

        _client!.Send(Encoding.ASCII.GetBytes(reply));
    }
}
