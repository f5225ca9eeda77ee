using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Hosting;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.Edge.Rtsp;

/// <summary>
/// One client's RTSP connection: a read loop that parses requests (and interleaved RTCP) with
/// <see cref="RtspMessageReader"/>, and a single writer that sends responses and interleaved RTP in order.
/// Guards the server against the client: request size limits, a time limit on a request that has started, and
/// an idle limit for connections without sessions.
/// </summary>
internal sealed class RtspConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly PipeReader _input;
    private readonly Channel<Outgoing> _output = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly RtspMessageReader _reader;
    private readonly RtspSettings _settings;
    private readonly TimeProvider _time;
    private readonly EdgeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<RtspSession> _sessions = [];
    private readonly CancellationTokenSource _closed = new();

    public RtspConnection(Socket socket, RtspMessageReader reader, RtspSettings settings, TimeProvider time, EdgeMetrics metrics, ILogger logger)
    {
        _socket = socket;
        _socket.NoDelay = true;

        // A bounded kernel buffer: a reader that falls behind is noticed in our frame queue (and loses whole frames
        // there) instead of hiding megabytes in the socket.
        _socket.SendBufferSize = 256 * 1024;
        // Every connection's pending read holds a buffer, so its size is memory per session; requests and RTCP
        // reports are small, and a longer request simply spans several buffers.
        _input = PipeReader.Create(new NetworkStream(socket, ownsSocket: false), new StreamPipeReaderOptions(bufferSize: 4 * 1024, minimumReadSize: 1024));
        _reader = reader;
        _settings = settings;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        Remote = (IPEndPoint)socket.RemoteEndPoint!;
        Local = (IPEndPoint)socket.LocalEndPoint!;
    }

    public IPEndPoint Remote { get; }

    public IPEndPoint Local { get; }

    /// <summary>True once the client has spoken the classic lab dialect (answers then use LF line endings).</summary>
    public bool IsLab { get; set; }

    public CancellationToken Closed => _closed.Token;

    public IReadOnlyList<RtspSession> Sessions
    {
        get
        {
            lock (_gate)
            {
                return [.. _sessions];
            }
        }
    }

    public void Attach(RtspSession session)
    {
        lock (_gate)
        {
            _sessions.Add(session);
        }
    }

    public void Detach(RtspSession session)
    {
        lock (_gate)
        {
            _sessions.Remove(session);
        }
    }

    /// <summary>Queues a complete response (or any bytes) for the writer.</summary>
    public void Send(byte[] bytes) => _output.Writer.TryWrite(new Outgoing(bytes, null, null, null));

    /// <summary>Queues a frame for an interleaved session; false when the connection is closing.</summary>
    public bool QueueFrame(RtspSession session, InterleavedTransport transport, SharedFrame frame) =>
        _output.Writer.TryWrite(new Outgoing(null, session, transport, frame));

    public void QueueInterleaved(byte channel, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[InterleavedFrame.HeaderSize + payload.Length];
        RtspWriter.WriteInterleavedHeader(bytes, channel, payload.Length);
        payload.CopyTo(bytes.AsSpan(InterleavedFrame.HeaderSize));
        Send(bytes);
    }

    /// <summary>Reads and handles requests until the client goes away or breaks the rules.</summary>
    public async Task RunAsync(Func<RtspConnection, RtspMessage, Task> handle, CancellationToken stopping)
    {
        using var link = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closed.Token);

        // The writer ends when its queue is completed (below), not when the server starts stopping: what is
        // queued by then, the BYEs of a shutdown among it, still goes out.
        var writer = Task.Run(() => WriteLoopAsync(_closed.Token), CancellationToken.None);
        try
        {
            await ReadLoopAsync(handle, link.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or the server is stopping.
        }
        finally
        {
            // Let queued responses (an error status, say) go out before closing.
            _output.Writer.TryComplete();
            await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None));
            await _closed.CancelAsync();
        }
    }

    private async Task ReadLoopAsync(Func<RtspConnection, RtspMessage, Task> handle, CancellationToken cancellationToken)
    {
        var message = new RtspMessage();
        long? partialSince = null;
        var idleSince = _time.GetTimestamp();
        using var wake = _time.CreateTimer(_ => _input.CancelPendingRead(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        while (!cancellationToken.IsCancellationRequested)
        {
            var result = await _input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var quietGap = false;
            if (result.IsCanceled && partialSince is not null)
            {
                if (LooksLikeLabRequest(buffer))
                {
                    quietGap = true;
                }
                else if (_time.GetElapsedTime(partialSince.Value) >= _settings.RequestTimeout)
                {
                    Fail(RtspStatusCode.RequestTimeout, "a request took too long to arrive");
                    return;
                }
            }
            else if (result.IsCanceled && buffer.IsEmpty && Sessions.Count == 0 && _time.GetElapsedTime(idleSince) >= _settings.SessionTimeout)
            {
                return; // idle, with nothing to keep it open for
            }

            try
            {
                while (true)
                {
                    var read = _reader.TryRead(buffer, message, out var frame, out var consumed, quietGap);
                    if (read == RtspReadResult.NeedMoreData)
                    {
                        buffer = buffer.Slice(consumed);
                        break;
                    }

                    buffer = buffer.Slice(consumed);
                    quietGap = false;
                    idleSince = _time.GetTimestamp();
                    if (read == RtspReadResult.Message)
                    {
                        if (message.CompletedByQuietGap || (message.IsRequest && IsBareName(message)))
                        {
                            IsLab = true;
                        }

                        await handle(this, message);
                    }
                    else
                    {
                        OnInterleaved(frame);
                    }
                }
            }
            catch (RtspProtocolException ex)
            {
                Fail(ex.StatusCode, ex.Message);
                return;
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return;
            }

            if (buffer.IsEmpty)
            {
                partialSince = null;
                wake.Change(_settings.SessionTimeout, Timeout.InfiniteTimeSpan);
            }
            else
            {
                partialSince ??= _time.GetTimestamp();
                var left = _settings.RequestTimeout - _time.GetElapsedTime(partialSince.Value);
                var next = LooksLikeLabRequest(buffer) ? _settings.QuietGap : left;
                wake.Change(next < TimeSpan.Zero ? TimeSpan.Zero : next, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>
    /// Only the lab client leaves out the blank line, and only it sends a bare name instead of a URL; a
    /// standard client paused mid-request keeps waiting (up to the request timeout).
    /// </summary>
    private static bool LooksLikeLabRequest(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> head = stackalloc byte[256];
        var length = (int)Math.Min(buffer.Length, head.Length);
        buffer.Slice(0, length).CopyTo(head);
        var line = head[..length];
        var end = line.IndexOfAny((byte)'\r', (byte)'\n');
        line = end < 0 ? line : line[..end];
        var space = line.IndexOf((byte)' ');
        if (space < 0)
        {
            return false;
        }

        var uri = line[(space + 1)..];
        return !uri.StartsWith("rtsp://"u8) && !uri.StartsWith("rtsps://"u8) && !uri.StartsWith("* "u8) && uri.Length > 0 && uri[0] != (byte)'*';
    }

    private static bool IsBareName(RtspMessage message) =>
        !message.UriBytes.StartsWith("rtsp://"u8) && !message.UriBytes.StartsWith("rtsps://"u8) && !message.UriBytes.SequenceEqual("*"u8);

    private void OnInterleaved(InterleavedFrame frame)
    {
        // Clients send RTCP receiver reports on the odd channel of their session.
        foreach (var session in Sessions)
        {
            if (session.Transport is InterleavedTransport transport && transport.RtcpChannel == frame.Channel)
            {
                var payload = frame.Payload.IsSingleSegment ? frame.Payload.FirstSpan : frame.Payload.ToArray();
                RtcpReports.Apply(payload, session, _metrics, _time.GetTimestamp());
                return;
            }
        }
    }

    private void Fail(int statusCode, string reason)
    {
        _metrics.BadRequest();
        EdgeLog.BadClient(_logger, Remote.ToString(), reason);
        Send(System.Text.Encoding.ASCII.GetBytes($"RTSP/1.0 {statusCode} {RtspStatusCode.ReasonPhrase(statusCode)}\r\n\r\n"));
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        var segments = new List<ArraySegment<byte>>();
        var headers = new byte[PacketizedFrame.HeaderRoom * 64];
        using var sender = new SocketSender();
        try
        {
            await foreach (var item in _output.Reader.ReadAllAsync(cancellationToken))
            {
                if (item.Bytes is { } bytes)
                {
                    await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
                    continue;
                }

                var (session, transport, frame) = (item.Session!, item.Transport!, item.Frame!);
                try
                {
                    var packets = frame.Packets;
                    var headerSize = InterleavedFrame.HeaderSize + RtpHeader.Size;
                    if (headers.Length < packets.PacketCount * headerSize)
                    {
                        headers = new byte[packets.PacketCount * headerSize * 2];
                    }

                    segments.Clear();
                    var first = session.TakeSequenceNumbers(packets.PacketCount);
                    var timestamp = session.RtpTimeOf(frame.Pts);
                    long bytesSent = 0;
                    for (var i = 0; i < packets.PacketCount; i++)
                    {
                        var payload = packets.GetPayload(i);
                        var header = headers.AsSpan(i * headerSize, headerSize);
                        RtspWriter.WriteInterleavedHeader(header, transport.RtpChannel, RtpHeader.Size + payload.Length);
                        new RtpHeader(packets.IsLast(i), RtpJpegHeader.PayloadType, (ushort)(first + i), timestamp, session.Ssrc).Write(header[InterleavedFrame.HeaderSize..]);
                        segments.Add(new ArraySegment<byte>(headers, i * headerSize, headerSize));
                        MemoryMarshal.TryGetArray(payload, out var data);
                        segments.Add(data);
                        bytesSent += RtpHeader.Size + payload.Length;
                    }

                    // One vectored write per frame: the payload goes from the shared frame to the socket uncopied.
                    await sender.SendAsync(_socket, segments);
                    session.FramesSent++;
                    session.PacketsSent += packets.PacketCount;
                    session.OctetsSent += bytesSent - (packets.PacketCount * RtpHeader.Size);
                    _metrics.FrameSent(transport.Kind, packets.PacketCount, bytesSent);
                }
                finally
                {
                    transport.Dequeued(frame);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away: the read loop notices too.
        }
        finally
        {
            // Release whatever is still queued.
            while (_output.Reader.TryRead(out var left))
            {
                left.Transport?.Dequeued(left.Frame!);
            }

            await _closed.CancelAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _output.Writer.TryComplete();
        await _closed.CancelAsync();
        await _input.CompleteAsync();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already gone.
        }

        _socket.Dispose();
        _closed.Dispose();
    }

    private readonly record struct Outgoing(byte[]? Bytes, RtspSession? Session, InterleavedTransport? Transport, SharedFrame? Frame);
}
