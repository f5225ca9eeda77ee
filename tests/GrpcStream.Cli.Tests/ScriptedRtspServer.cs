using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Cli.Tests;

/// <summary>
/// A one-connection RTSP peer that answers each method with a scripted status: for driving the client into the
/// server answers real servers give only in rare situations (a 454 after a session was reclaimed, say).
/// </summary>
internal sealed class ScriptedRtspServer : IDisposable
{
    private const string Sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=scripted\r\nt=0 0\r\na=control:*\r\nm=video 0 RTP/AVP 26\r\na=control:track1\r\n";
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Dictionary<RtspMethod, int> _statuses;
    private readonly string[] _challenges;

    /// <param name="statuses">The status each method gets (200 when not named).</param>
    /// <param name="challenges">WWW-Authenticate headers of a 401 for every request without Authorization (none: no 401).</param>
    public ScriptedRtspServer(Dictionary<RtspMethod, int> statuses, params string[] challenges)
    {
        _statuses = statuses;
        _challenges = challenges;
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public string Url => $"rtsp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/scripted";

    /// <summary>The reason phrase of statuses other than 200 (the standard one when null).</summary>
    public string? ReasonPhrase { get; init; }

    /// <summary>The Content-Length DESCRIBE's answer declares (the SDP's length when null).</summary>
    public long? DescribeContentLength { get; init; }

    /// <summary>The SDP DESCRIBE answers with.</summary>
    public string Description { get; init; } = Sdp;

    /// <summary>The Authorization headers the client sent.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Authorizations { get; } = new();

    private async Task ServeAsync()
    {
        using var client = await _listener.AcceptTcpClientAsync();
        var stream = client.GetStream();
        var reader = new RtspMessageReader();
        var message = new RtspMessage();
        var pending = Array.Empty<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                return;
            }

            pending = [.. pending, .. buffer.AsSpan(0, read)];
            var sequence = new ReadOnlySequence<byte>(pending);
            while (reader.TryRead(sequence, message, out _, out var consumed) == RtspReadResult.Message)
            {
                sequence = sequence.Slice(consumed);
                var status = _statuses.GetValueOrDefault(message.Method, 200);
                if (message.GetHeader("Authorization") is { } authorization)
                {
                    Authorizations.Enqueue(authorization);
                }
                else if (_challenges.Length > 0)
                {
                    status = RtspStatusCode.Unauthorized;
                }

                var reason = status != 200 && ReasonPhrase is { } custom ? custom : RtspStatusCode.ReasonPhrase(status);
                var response = new StringBuilder($"RTSP/1.0 {status} {reason}\r\nCSeq: {message.CSeq}\r\n");
                if (status == RtspStatusCode.Unauthorized)
                {
                    foreach (var challenge in _challenges)
                    {
                        response.Append($"WWW-Authenticate: {challenge}\r\n");
                    }
                }
                if (status == 200 && message.Method == RtspMethod.Setup)
                {
                    response.Append("Session: 12345678;timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n");
                }

                if (status == 200 && message.Method == RtspMethod.Describe)
                {
                    response.Append($"Content-Type: application/sdp\r\nContent-Length: {DescribeContentLength ?? Description.Length}\r\n\r\n{Description}");
                }
                else
                {
                    response.Append("\r\n");
                }

                await stream.WriteAsync(Encoding.Latin1.GetBytes(response.ToString()));
            }

            pending = sequence.ToArray();
        }
    }

    public void Dispose() => _listener.Stop();
}
