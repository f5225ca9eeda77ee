using System.Net;
using System.Net.Sockets;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.Rtsp.Client;

/// <summary>
/// A player's RTP and RTCP sockets for RTP over UDP (an even port and the next), and the loops that receive on
/// them until disposed.
/// </summary>
internal sealed class UdpMediaSockets : IDisposable
{
    private readonly UdpClient _rtp;
    private readonly UdpClient _rtcp;
    private readonly CancellationTokenSource _closed = new();

    /// <param name="rtpPort">The RTP port to bind (RTCP on the next); 0 picks a free even one.</param>
    public UdpMediaSockets(int rtpPort)
    {
        var (rtp, rtcp) = UdpPortPair.Bind(IPAddress.Any, rtpPort);
        _rtp = new UdpClient { Client = rtp };
        _rtcp = new UdpClient { Client = rtcp };
        _rtp.Client.ReceiveBufferSize = 4 * 1024 * 1024;
    }

    public int RtpPort => ((IPEndPoint)_rtp.Client.LocalEndPoint!).Port;

    /// <summary>Starts receiving: RTP to <paramref name="onRtp"/>, RTCP to <paramref name="onRtcp"/>.</summary>
    /// <param name="onRtp">Takes each RTP datagram, on the receiving thread.</param>
    /// <param name="onRtcp">Takes each RTCP datagram, on the receiving thread.</param>
    /// <param name="batch">Whether RTP is taken in batches where the system can (a load generator's way).</param>
    /// <param name="gro">With <paramref name="batch"/>, whether the kernel may hand over runs of datagrams whole.</param>
    public void Start(DatagramHandler onRtp, DatagramHandler onRtcp, bool batch, bool gro)
    {
        _ = Task.Run(() => ReceiveRtpAsync(onRtp, batch, gro));
        _ = Task.Run(() => ReceiveAsync(_rtcp, onRtcp));
    }

    /// <summary>Sends an RTCP packet from the RTCP port; best effort.</summary>
    public void SendRtcp(ReadOnlySpan<byte> packet, IPEndPoint to) => _rtcp.Send(packet, to);

    // A load generator (frames counted, not kept) takes datagrams in batches where it can: its cost per packet is
    // what limits how hard it can load a server. Should the batch receiver give up, the rest is received one by one.
    private async Task ReceiveRtpAsync(DatagramHandler handle, bool batch, bool gro)
    {
        if (batch && BatchUdpReceiver.IsSupported)
        {
            try
            {
                if (await new BatchUdpReceiver(_rtp.Client, gro).RunAsync(handle, _closed.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return; // closed
            }
        }

        await ReceiveAsync(_rtp, handle).ConfigureAwait(false);
    }

    // One buffer and one address for the socket's life: a datagram costs a system call and no allocation, which is
    // what lets `grpcstream bench` load a server harder than it loads itself.
    private async Task ReceiveAsync(UdpClient socket, DatagramHandler handle)
    {
        var buffer = new byte[65536];
        var from = new SocketAddress(socket.Client.AddressFamily);
        try
        {
            while (true)
            {
                var length = await socket.Client.ReceiveFromAsync(buffer, SocketFlags.None, from, _closed.Token).ConfigureAwait(false);
                handle(buffer.AsSpan(0, length), DatagramSource.Read(from));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Closed.
        }
    }

    public void Dispose()
    {
        _closed.Cancel();
        _rtp.Dispose();
        _rtcp.Dispose();
        _closed.Dispose();
    }
}
