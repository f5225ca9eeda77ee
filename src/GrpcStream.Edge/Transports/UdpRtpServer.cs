using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Native;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Rtp;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Transports;

/// <summary>
/// The edge's one pair of UDP sockets (RTP on an even port, RTCP on the next), shared by every UDP session, as
/// MediaMTX does: no per-session ports to run out of or to leak. Receiver reports arriving on the RTCP socket
/// are matched to sessions by the client's address and port, and so is a publisher's RTP arriving on the RTP socket
/// (RECORD over UDP): datagrams from any other source are dropped unread.
/// </summary>
internal sealed class UdpRtpServer : IAsyncDisposable
{
    // Keyed by the socket address as the kernel gives it, so that a report is matched to its session without making
    // an endpoint object per report.
    private readonly ConcurrentDictionary<SocketAddress, ITransportSession> _byRtcpSource = new();
    private readonly ConcurrentDictionary<SocketAddress, IDatagramReceiver> _byRtpSource = new();
    private readonly EdgeMetrics _metrics;
    private readonly ILogger<UdpRtpServer> _logger;
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _segmentation;
    private Socket? _rtp;
    private Socket? _rtcp;
    private Task? _receive;
    private Task? _receivePublished;
    private int _disposed;

    public UdpRtpServer(IOptions<EdgeOptions> options, EdgeMetrics metrics, ILogger<UdpRtpServer> logger)
    {
        _metrics = metrics;
        _logger = logger;
        RequestedPort = options.Value.Rtsp.RtpPort;
        _segmentation = options.Value.Rtsp.UdpSegmentation && UdpSegmentation.IsAvailable;
    }

    /// <summary>Whether frames go out with UDP segmentation offload (one system call per session and frame).</summary>
    public bool Segmentation => _segmentation;

    public int RequestedPort { get; }

    public int RtpPort { get; private set; }

    public int RtcpPort => RtpPort + 1;

    public void Start()
    {
        var (rtp, rtcp) = UdpPortPair.Bind(Any, RequestedPort);
        rtp.SendBufferSize = 4 * 1024 * 1024;
        rtp.ReceiveBufferSize = 4 * 1024 * 1024; // a publisher's frame arrives as a burst of packets
        (_rtp, _rtcp, RtpPort) = (rtp, rtcp, ((IPEndPoint)rtp.LocalEndPoint!).Port);
        _receive = Task.Run(ReceiveReportsAsync);
        _receivePublished = Task.Run(ReceivePublishedAsync);
    }

    /// <summary>The sockets are dual-stack when the host has IPv6; clients' IPv4 addresses are then used in mapped form.</summary>
    public static bool DualStack { get; } = Socket.OSSupportsIPv6;

    private static IPAddress Any => DualStack ? IPAddress.IPv6Any : IPAddress.Any;

    /// <summary>A client endpoint in the form the sockets send to and receive from.</summary>
    public static IPEndPoint Normalize(IPEndPoint endPoint) =>
        DualStack && endPoint.AddressFamily == AddressFamily.InterNetwork ? new IPEndPoint(endPoint.Address.MapToIPv6(), endPoint.Port)
        : !DualStack && endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port)
        : endPoint;

    public void SendRtp(ReadOnlySpan<byte> packet, SocketAddress destination) => Send(_rtp, packet, destination);

    /// <summary>
    /// Sends every packet of <paramref name="frame"/>, each with its <see cref="RtpHeader.Size"/>-byte header
    /// already written in its header room, one datagram per system call.
    /// </summary>
    public void SendEachPacket(PacketizedFrame frame, SocketAddress destination)
    {
        for (var i = 0; i < frame.PacketCount; i++)
        {
            Send(_rtp, frame.Buffer[frame.GetPacketRange(i, RtpHeader.Size)], destination);
        }
    }

    /// <summary>
    /// Sends every packet of <paramref name="frame"/>, each with its <see cref="RtpHeader.Size"/>-byte header
    /// already written in its header room, in runs of equal-sized datagrams per system call; what cannot be
    /// segmented (a short frame, a route that refuses, a system without it) goes one datagram per call.
    /// </summary>
    public void SendSegmented(PacketizedFrame frame, SocketAddress destination)
    {
        var count = frame.PacketCount;
        var next = 0;
        if (_segmentation && count > 1 && _rtp is { } socket)
        {
            // Every packet but the last is as large as the packetizer allows, so the first one's size is the
            // segment size. The packetizer keeps that promise; checking it costs nothing next to the send.
            Span<Range> ranges = stackalloc Range[UdpSegmentation.MaxSegments];
            var segment = frame.GetPacketRange(0, RtpHeader.Size).GetOffsetAndLength(frame.Buffer.Length).Length;
            var perSend = Math.Min(UdpSegmentation.MaxSegments, UdpSegmentation.MaxBytes / segment);
            while (count - next > 1 && perSend > 1)
            {
                var run = 0;
                for (; run < perSend && next + run < count; run++)
                {
                    ranges[run] = frame.GetPacketRange(next + run, RtpHeader.Size);
                    var length = ranges[run].GetOffsetAndLength(frame.Buffer.Length).Length;
                    if (length > segment)
                    {
                        break;
                    }

                    if (length < segment)
                    {
                        run++; // a shorter datagram may end a run, never sit inside one
                        break;
                    }
                }

                if (run < 2)
                {
                    break;
                }

                var result = UdpSegmentation.Send(socket, frame.Buffer, ranges[..run], segment, destination);
                if (result is SegmentedSendResult.Unsupported)
                {
                    _segmentation = false;
                    EdgeLog.UdpSegmentationOff(_logger);
                    break;
                }

                if (result is SegmentedSendResult.Unsuitable)
                {
                    break;
                }

                next += run;
            }
        }

        for (; next < count; next++)
        {
            Send(_rtp, frame.Buffer[frame.GetPacketRange(next, RtpHeader.Size)], destination);
        }
    }

    public void SendRtcp(ReadOnlySpan<byte> packet, SocketAddress destination) => Send(_rtcp, packet, destination);

    public void Register(IPEndPoint rtcpSource, ITransportSession session) => _byRtcpSource[Normalize(rtcpSource).Serialize()] = session;

    public void Unregister(IPEndPoint rtcpSource, ITransportSession session) => _byRtcpSource.TryRemove(new KeyValuePair<SocketAddress, ITransportSession>(Normalize(rtcpSource).Serialize(), session));

    /// <summary>
    /// Hands the RTP that <paramref name="rtpSource"/> sends to the RTP port to <paramref name="session"/> (RECORD over
    /// UDP); false when another session holds that source, which stays its own.
    /// </summary>
    public bool TryRegisterPublisher(IPEndPoint rtpSource, IDatagramReceiver session) => _byRtpSource.TryAdd(Normalize(rtpSource).Serialize(), session);

    public void UnregisterPublisher(IPEndPoint rtpSource, IDatagramReceiver session) =>
        _byRtpSource.TryRemove(new KeyValuePair<SocketAddress, IDatagramReceiver>(Normalize(rtpSource).Serialize(), session));

    private static void Send(Socket? socket, ReadOnlySpan<byte> packet, SocketAddress destination)
    {
        try
        {
            socket?.SendTo(packet, SocketFlags.None, destination);
        }
        catch (SocketException)
        {
            // ICMP port unreachable from a client that went away, a full buffer: UDP is best effort; the
            // session's timeout reclaims clients that stopped listening.
        }
    }

    private Task ReceiveReportsAsync() => ReceiveAsync(_rtcp!, 2048, (from, datagram) =>
    {
        if (_byRtcpSource.TryGetValue(from, out var session))
        {
            RtcpReports.Apply(datagram, session, _metrics);
        }
    });

    // Players send a few datagrams here too (ffmpeg's NAT openers): only registered publishers' are read.
    private Task ReceivePublishedAsync() => ReceiveAsync(_rtp!, 65536, (from, datagram) =>
    {
        if (_byRtpSource.TryGetValue(from, out var publisher))
        {
            publisher.OnDatagram(datagram);
        }
    });

    private delegate void DatagramHandler(SocketAddress from, ReadOnlySpan<byte> datagram);

    /// <summary>Reads <paramref name="socket"/> until stopped, one reused buffer and source address for every datagram.</summary>
    private async Task ReceiveAsync(Socket socket, int bufferSize, DatagramHandler handle)
    {
        var buffer = new byte[bufferSize];
        var from = new SocketAddress(DualStack ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
        while (!_stop.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // a previous send was refused by its destination: not a receive problem
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            handle(from, buffer.AsSpan(0, length));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _rtp?.Dispose();
        _rtcp?.Dispose();
        foreach (var receive in new[] { _receive, _receivePublished }.OfType<Task>())
        {
            await receive.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }
}
