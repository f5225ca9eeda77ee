using System.Net;
using System.Net.Sockets;
using GrpcStream.Rtsp.Rtp;

namespace GrpcStream.SyntheticSender;

/// <summary>The listening socket, the RTP sockets every UDP session shares, and the connections there are.</summary>
internal sealed class Server : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Socket _rtcp;
    private volatile Viewer[] _viewers = [];

    public Server(SyntheticFrame frame, double framesPerSecond, int port)
    {
        Frame = frame;
        FramesPerSecond = framesPerSecond;
        (Rtp, _rtcp) = UdpPortPair.Bind(IPAddress.Loopback, 0);
        Rtp.SendBufferSize = 4 * 1024 * 1024;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        _listener.Listen(4096);
    }

    public SyntheticFrame Frame { get; }

    public double FramesPerSecond { get; }

    /// <summary>The socket RTP goes out of to every UDP session (receiver reports arrive on the next port, unread).</summary>
    public Socket Rtp { get; }

    public int RtpPort => ((IPEndPoint)Rtp.LocalEndPoint!).Port;

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>The connections now: a new array on every change, so the frame clock reads it without a lock.</summary>
    public Viewer[] Viewers => _viewers;

    public async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var socket = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            socket.NoDelay = true;
            socket.SendBufferSize = 1024 * 1024; // a frame or more in the kernel per reader, so a short stall costs none
            var viewer = new Viewer(socket, this);
            Change(viewers => [.. viewers, viewer]);
            _ = Task.Run(async () =>
            {
                try
                {
                    await viewer.RunAsync(cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    Change(viewers => [.. viewers.Where(v => v != viewer)]);
                }
            }, CancellationToken.None);
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        Rtp.Dispose();
        _rtcp.Dispose();
    }

    private void Change(Func<Viewer[], Viewer[]> change)
    {
        lock (_gate)
        {
            _viewers = change(_viewers);
        }
    }
}
