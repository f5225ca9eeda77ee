using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Rtp;
using GrpcStream.Edge.Streams;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.Edge.Transports;

/// <summary>
/// RTP and RTCP interleaved on the session's RTSP connection (RFC 2326 10.12). A frame waits in the connection's
/// outgoing queue as a reference to the shared frame; its headers are written by the connection's writer when
/// its turn comes, so sequence numbers have no gaps for frames dropped in the queue. A reader that falls
/// <see cref="Settings.RtspSettings.TcpQueueFrames"/> frames behind, or whose queue is full, loses whole frames
/// alone: a player never gets half a frame and never slows anyone else down.
/// </summary>
internal sealed class InterleavedTransport : IMediaTransport, IInterleavedFrameWriter
{
    private const int HeaderSize = InterleavedFrame.HeaderSize + RtpHeader.Size;
    private readonly IInterleavedOutput _connection;
    private readonly InterleavedChannels _channels;
    private readonly EdgeMetrics _metrics;
    private readonly int _maxQueuedFrames;
    private RtpSender? _sender;
    private int _queued;

    public InterleavedTransport(IInterleavedOutput connection, InterleavedChannels channels, EdgeMetrics metrics, byte rtpChannel, int maxQueuedFrames)
    {
        _connection = connection;
        _channels = channels;
        _metrics = metrics;
        RtpChannel = rtpChannel;
        _maxQueuedFrames = maxQueuedFrames;
    }

    public string Kind => "tcp";

    public System.Net.IPEndPoint? Destination => null;

    public bool ExpiresWhenSilent => true;

    public byte RtpChannel { get; }

    public byte RtcpChannel => (byte)(RtpChannel + 1);

    public string Describe(uint ssrc) => new TransportSpec
    {
        LowerTransport = LowerTransport.Tcp,
        Interleaved = new NumberRange(RtpChannel, RtcpChannel),
        Ssrc = ssrc,
    }.ToString();

    public void Attach(ITransportSession session)
    {
        _sender = session.Sender;
        _channels.Attach(RtpChannel, session);
    }

    public void Detach() => _channels.Release(RtpChannel);

    public void SendFrame(RtpSender sender, SharedFrame frame)
    {
        var packets = frame.Packets;
        var bytes = packets.PayloadBytes + (packets.PacketCount * HeaderSize);
        if (Interlocked.Increment(ref _queued) > _maxQueuedFrames)
        {
            Drop(sender);
            return;
        }

        frame.AddReference();
        if (!_connection.TryQueueFrame(this, frame, bytes))
        {
            frame.Release();
            Drop(sender);
        }
    }

    public void SendRtcp(ReadOnlySpan<byte> compound) => _connection.TrySendInterleaved(RtcpChannel, compound);

    void IInterleavedFrameWriter.Gather(SharedFrame frame, List<ArraySegment<byte>> segments, ref byte[] scratch)
    {
        var sender = _sender!;
        var packets = frame.Packets;
        if (scratch.Length < packets.PacketCount * HeaderSize)
        {
            scratch = new byte[packets.PacketCount * HeaderSize * 2];
        }

        var (first, timestamp) = sender.Stamp(frame.Pts, packets.PacketCount);
        for (var i = 0; i < packets.PacketCount; i++)
        {
            var payload = packets.GetPayload(i);
            var header = scratch.AsSpan(i * HeaderSize, HeaderSize);
            RtspWriter.WriteInterleavedHeader(header, RtpChannel, RtpHeader.Size + payload.Length);
            new RtpHeader(packets.IsLast(i), RtpJpegHeader.PayloadType, (ushort)(first + i), timestamp, sender.Ssrc).Write(header[InterleavedFrame.HeaderSize..]);
            segments.Add(new ArraySegment<byte>(scratch, i * HeaderSize, HeaderSize));
            System.Runtime.InteropServices.MemoryMarshal.TryGetArray(payload, out var data);
            segments.Add(data);
        }

        // Counted as the frame is handed to the socket, so that a client holding the bytes finds them counted
        // (in a sender report, say); a send that then fails ends the connection, and its counts with it.
        sender.Sent(packets.PacketCount, packets.PayloadBytes);
        _metrics.FrameSent(Kind, packets.PacketCount, packets.PayloadBytes + ((long)packets.PacketCount * RtpHeader.Size));
    }

    void IInterleavedFrameWriter.Done(SharedFrame frame, bool sent)
    {
        Interlocked.Decrement(ref _queued);
        frame.Release();
    }

    private void Drop(RtpSender sender)
    {
        Interlocked.Decrement(ref _queued);
        sender.Dropped();
        _metrics.FrameDropped(Kind);
    }
}
