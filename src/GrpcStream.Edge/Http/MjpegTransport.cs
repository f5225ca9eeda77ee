using System.Buffers;
using System.IO.Pipelines;
using System.Text.Unicode;
using System.Threading.Channels;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Rtp;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Transports;

namespace GrpcStream.Edge.Http;

/// <summary>
/// An HTTP viewer's transport: the stream's shared frames as the parts of one <c>multipart/x-mixed-replace</c>
/// response. The fan-out only queues a reference to the frame (at most <c>Edge:Http:MaxQueuedFrames</c>; a viewer
/// further behind loses its oldest waiting frame, counted); the viewer's own loop writes it out, so a slow viewer
/// slows nobody else. Kestrel copies each part into its response buffer: one copy per viewer, where RTSP has none.
/// </summary>
internal sealed class MjpegTransport : IMediaTransport
{
    /// <summary>The multipart boundary, as the Content-Type names it.</summary>
    public const string Boundary = "frame";

    private const uint Clock = 90_000;

    private readonly Channel<SharedFrame> _frames;
    private readonly EdgeMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly TimeSpan _writeTimeout;
    private readonly Action _abort;
    private readonly uint _interval;
    private RtpSender? _sender;
    private uint _nextDue;
    private bool _started;

    // When the write in progress began (0: none), and whether the viewer was cut off for making no progress.
    private long _writeStarted;
    private int _stalled;

    /// <param name="maxQueuedFrames">Frames that may wait for the viewer.</param>
    /// <param name="fps">Frames a second at most (the viewer's <c>?fps=</c>); null for every frame.</param>
    /// <param name="writeTimeout">How long a write may make no progress before the viewer is cut off.</param>
    /// <param name="abort">Cuts the viewer's connection off.</param>
    /// <param name="time">The clock.</param>
    /// <param name="metrics">Where drops and sent frames are counted.</param>
    public MjpegTransport(int maxQueuedFrames, double? fps, TimeSpan writeTimeout, Action abort, TimeProvider time, EdgeMetrics metrics)
    {
        _metrics = metrics;
        _time = time;
        _writeTimeout = writeTimeout;
        _abort = abort;
        _interval = fps is { } rate ? (uint)Math.Round(Clock / rate) : 0;
        _frames = Channel.CreateBounded<SharedFrame>(
            new BoundedChannelOptions(maxQueuedFrames) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped =>
            {
                dropped.Release();
                _sender?.Dropped();
                _metrics.FrameDropped(Kind);
            });
    }

    /// <summary>The transport's name in metrics, logs and the control API.</summary>
    public const string KindName = "http";

    public string Kind => KindName;

    public System.Net.IPEndPoint? Destination => null;

    public bool ExpiresWhenSilent => false;

    public string Describe(uint ssrc) => $"multipart/x-mixed-replace;boundary={Boundary}";

    public void Attach(ITransportSession session) => _sender = session.Sender;

    /// <summary>The session ended: the viewer's loop sends what is queued and returns.</summary>
    public void Detach() => _frames.Writer.TryComplete();

    /// <summary>The film ended: the viewer's loop sends what is queued and returns, which ends the response.</summary>
    public void StreamEnded() => _frames.Writer.TryComplete();

    public void SendFrame(RtpSender sender, SharedFrame frame)
    {
        // Checked as frames come, as RTSP connections are checked each second: a write that has made no progress
        // for the timeout means a viewer that stopped reading (Kestrel's flush does not give up on its own).
        if (Volatile.Read(ref _writeStarted) is not 0 and var started && _time.GetElapsedTime(started) > _writeTimeout && Interlocked.Exchange(ref _stalled, 1) == 0)
        {
            _abort();
        }

        if (_interval > 0)
        {
            // Thinned on the source's clock: a frame goes when it is due, and the next is due one interval later,
            // so 7 fps from 30 is 7 a second on average, not the 6 that "one interval since the last" would give.
            var early = (int)(frame.Pts - _nextDue) < 0;
            if (_started && early)
            {
                return;
            }

            _nextDue = _started && (int)(frame.Pts - _nextDue) < (int)_interval ? _nextDue + _interval : frame.Pts + _interval;
            _started = true;
        }

        frame.AddReference();
        if (!_frames.Writer.TryWrite(frame))
        {
            frame.Release(); // the viewer has gone
        }
    }

    public void SendRtcp(ReadOnlySpan<byte> compound)
    {
        // No RTCP over HTTP.
    }

    /// <summary>
    /// Writes the frames as they come until the session ends or the viewer goes; false when the viewer was cut off
    /// because a write made no progress for the write timeout (it stopped reading).
    /// </summary>
    public async Task<bool> WriteAsync(PipeWriter body, PlayMedia session, CancellationToken aborted)
    {
        var reader = _frames.Reader;
        try
        {
            while (await reader.WaitToReadAsync(aborted).ConfigureAwait(false))
            {
                while (reader.TryRead(out var frame))
                {
                    int length;
                    try
                    {
                        length = WritePart(body, frame);
                    }
                    finally
                    {
                        frame.Release();
                    }

                    Volatile.Write(ref _writeStarted, _time.GetTimestamp());
                    var flushed = await body.FlushAsync(aborted).ConfigureAwait(false);
                    Volatile.Write(ref _writeStarted, 0);
                    if (flushed.IsCompleted || flushed.IsCanceled)
                    {
                        return Volatile.Read(ref _stalled) == 0;
                    }

                    session.Sender.Sent(1, length);
                    _metrics.FrameSent(Kind, 1, length);
                }
            }

            return Volatile.Read(ref _stalled) == 0;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && Volatile.Read(ref _stalled) == 1)
        {
            return false;
        }
        finally
        {
            // Frames queued after the loop ended go back to the pool.
            _frames.Writer.TryComplete();
            while (reader.TryRead(out var left))
            {
                left.Release();
            }
        }
    }

    /// <summary>One part: its headers, the JPEG, and the line break before the next boundary.</summary>
    private static int WritePart(PipeWriter body, SharedFrame frame)
    {
        var jpeg = frame.Jpeg.Span;
        var seconds = frame.Pts90Khz / (double)Clock;
        var head = body.GetSpan(256);
        Utf8.TryWrite(head, System.Globalization.CultureInfo.InvariantCulture, $"--{Boundary}\r\nContent-Type: image/jpeg\r\nContent-Length: {jpeg.Length}\r\nX-Timestamp: {seconds:0.000000}\r\nX-Sequence: {frame.Sequence}\r\n\r\n", out var written);
        body.Advance(written);
        body.Write(jpeg);
        body.Write("\r\n"u8);
        return jpeg.Length;
    }
}
