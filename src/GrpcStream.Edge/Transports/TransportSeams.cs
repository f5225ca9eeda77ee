using GrpcStream.Edge.Rtp;
using GrpcStream.Edge.Streams;

namespace GrpcStream.Edge.Transports;

/// <summary>What a transport knows of the session it carries: its RTP numbering, and a way to say it is alive.</summary>
internal interface ITransportSession
{
    RtpSender Sender { get; }

    /// <summary>Marks the session alive: its client reported on it.</summary>
    void Touch();
}

/// <summary>Where a publisher's datagrams go once the shared RTP port has matched their source.</summary>
internal interface IDatagramReceiver
{
    void OnDatagram(ReadOnlySpan<byte> datagram);
}

/// <summary>
/// The sending side of the RTSP connection a TCP session's packets are interleaved on, as a transport sees it:
/// the connection owns the socket and the order of what goes out, the transport only hands things over.
/// </summary>
internal interface IInterleavedOutput
{
    /// <summary>Queues one interleaved packet (RTCP); false when there is no room (it is dropped).</summary>
    bool TrySendInterleaved(byte channel, ReadOnlySpan<byte> payload);

    /// <summary>Queues a shared frame whose bytes <paramref name="writer"/> writes when its turn comes; false when there is no room.</summary>
    bool TryQueueFrame(IInterleavedFrameWriter writer, SharedFrame frame, int bytes);
}

/// <summary>Writes one queued frame as interleaved bytes: what the connection needs to know of a TCP session.</summary>
internal interface IInterleavedFrameWriter
{
    /// <summary>
    /// Adds the frame's bytes to <paramref name="segments"/>: headers written into <paramref name="scratch"/> (grown
    /// if too small), payloads as slices of the shared frame.
    /// </summary>
    void Gather(SharedFrame frame, List<ArraySegment<byte>> segments, ref byte[] scratch);

    /// <summary>The frame left the queue: <paramref name="sent"/> when its bytes reached the socket.</summary>
    void Done(SharedFrame frame, bool sent);
}

/// <summary>The client a transport is made for: the address its RTSP connection comes from, its channels and its output.</summary>
internal readonly record struct TransportClient(System.Net.IPAddress Address, InterleavedChannels Channels, IInterleavedOutput Output);
