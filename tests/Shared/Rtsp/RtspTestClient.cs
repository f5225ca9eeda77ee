using System.Buffers;
using System.Net.Sockets;
using System.Text;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Testing;

/// <summary>
/// A bare RTSP client for tests: sends exactly the bytes a test gives it and parses what comes back with the
/// project's own reader, keeping interleaved frames apart.
/// </summary>
public sealed class RtspTestClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly RtspMessageReader _reader = new();
    private readonly byte[] _receive = new byte[256 * 1024];
    private byte[] _pending = [];
    private int _cseq;

    private RtspTestClient(TcpClient tcp, Stream? stream = null)
    {
        _tcp = tcp;
        _stream = stream ?? tcp.GetStream();
    }

    /// <summary>An RTSPS connection that takes any certificate; <see cref="ServerCertificate"/> says which it got.</summary>
    public static async Task<RtspTestClient> ConnectTlsAsync(int port, string host = "127.0.0.1")
    {
        var tcp = new TcpClient(AddressFamily.InterNetwork);
        await tcp.ConnectAsync(host, port, TestContext.Current.CancellationToken);
        var tls = new System.Net.Security.SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, GrpcStream.Rtsp.Client.TlsTrust.Validator(null, acceptAny: true));
        await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = host }, TestContext.Current.CancellationToken);
        return new RtspTestClient(tcp, tls);
    }

    /// <summary>The certificate the server presented (RTSPS only).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate? ServerCertificate => (_stream as System.Net.Security.SslStream)?.RemoteCertificate;

    public List<(byte Channel, byte[] Payload)> Interleaved { get; } = [];

    /// <param name="port">The server's port on <paramref name="host"/>.</param>
    /// <param name="host">The server.</param>
    /// <param name="from">A local address to connect from (an attacker at 127.0.0.2, say); any when null.</param>
    public static async Task<RtspTestClient> ConnectAsync(int port, string host = "127.0.0.1", string? from = null)
    {
        var tcp = new TcpClient(AddressFamily.InterNetwork);
        if (from is not null)
        {
            tcp.Client.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(from), 0));
        }

        await tcp.ConnectAsync(host, port, TestContext.Current.CancellationToken);
        return new RtspTestClient(tcp);
    }

    /// <summary>The underlying socket, for tests that need to shape it (a small receive buffer, say).</summary>
    public Socket Socket => _tcp.Client;

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes, TestContext.Current.CancellationToken);

    /// <summary>Sends a request with the next CSeq and the given headers, and returns the response.</summary>
    public async Task<RtspMessage> RequestAsync(string method, string url, params (string Name, string Value)[] headers)
    {
        var text = new StringBuilder($"{method} {url} RTSP/1.0\r\nCSeq: {++_cseq}\r\n");
        foreach (var (name, value) in headers)
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        await SendAsync(text.Append("\r\n").ToString());
        var response = await ReadResponseAsync();
        Assert.Equal(_cseq, response.CSeq);
        return response;
    }

    /// <summary>The next message; interleaved frames before it are collected in <see cref="Interleaved"/>.</summary>
    public async Task<RtspMessage> ReadResponseAsync(TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(15));
        var message = new RtspMessage();
        while (true)
        {
            var buffer = new ReadOnlySequence<byte>(_pending);
            while (true)
            {
                var result = _reader.TryRead(buffer, message, out var frame, out var consumed);
                if (result == RtspReadResult.NeedMoreData)
                {
                    break;
                }

                if (result == RtspReadResult.InterleavedFrame)
                {
                    Interleaved.Add((frame.Channel, frame.Payload.ToArray()));
                }

                buffer = buffer.Slice(consumed);
                _pending = buffer.ToArray();
                if (result == RtspReadResult.Message)
                {
                    return message.Clone();
                }
            }

            var read = await _stream.ReadAsync(_receive, cts.Token);
            if (read == 0)
            {
                throw new EndOfStreamException("The server closed the connection.");
            }

            _pending = [.. _pending, .. _receive.AsSpan(0, read)];
        }
    }

    /// <summary>
    /// The next interleaved frame: the oldest of those collected while reading responses, or the next to arrive
    /// (waited for at most <paramref name="timeout"/>; a message arriving meanwhile fails the test).
    /// </summary>
    public async Task<(byte Channel, byte[] Payload)> NextInterleavedAsync(TimeSpan? timeout = null)
    {
        if (Interleaved.Count > 0)
        {
            var first = Interleaved[0];
            Interleaved.RemoveAt(0);
            return first;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(15));
        var message = new RtspMessage();
        while (true)
        {
            var buffer = new ReadOnlySequence<byte>(_pending);
            var result = _reader.TryRead(buffer, message, out var frame, out var consumed);
            if (result == RtspReadResult.InterleavedFrame)
            {
                var found = (frame.Channel, frame.Payload.ToArray());
                _pending = buffer.Slice(consumed).ToArray();
                return found;
            }

            Assert.True(result == RtspReadResult.NeedMoreData, $"a message came while interleaved data was awaited: {message.StatusCode} {message.Method}");
            var read = await _stream.ReadAsync(_receive, cts.Token);
            if (read == 0)
            {
                throw new EndOfStreamException("The server closed the connection.");
            }

            _pending = [.. _pending, .. _receive.AsSpan(0, read)];
        }
    }

    /// <summary>Whatever bytes arrive within <paramref name="quiet"/> of the last ones (for exact-byte checks).</summary>
    public async Task<byte[]> ReadRawAsync(TimeSpan quiet)
    {
        var received = new List<byte>(_pending);
        _pending = [];
        while (true)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            cts.CancelAfter(quiet);
            try
            {
                var read = await _stream.ReadAsync(_receive, cts.Token);
                if (read == 0)
                {
                    return [.. received];
                }

                received.AddRange(_receive.AsSpan(0, read).ToArray());
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                return [.. received];
            }
        }
    }

    /// <summary>True when the server closes the connection within <paramref name="timeout"/>.</summary>
    public async Task<bool> IsClosedByServerAsync(TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            while (await _stream.ReadAsync(_receive, cts.Token) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
