using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Hosting;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Messages;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Rtsp;

/// <summary>
/// Accepts RTSP connections (up to <see cref="RtspSettings.MaxConnections"/>), runs each, and keeps sessions
/// alive or reclaims them. On shutdown every session gets an RTCP BYE and every connection is closed.
/// </summary>
internal sealed class RtspServer(
    RtspRequestHandler handler,
    SessionManager sessions,
    UdpRtpServer udp,
    OriginLink.OriginLink origin,
    EdgeMetrics metrics,
    IOptions<EdgeOptions> options,
    TimeProvider time,
    ILogger<RtspServer> logger) : BackgroundService
{
    private readonly RtspSettings _settings = options.Value.Rtsp;
    private readonly RtspMessageReader _reader = new(RtspLimits.Default);
    private readonly ConcurrentDictionary<RtspConnection, Task> _connections = new();
    private Socket? _listener;

    /// <summary>The RTSP port actually bound (useful when 0 was asked for).</summary>
    public int Port { get; private set; }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        udp.Start();
        _listener = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(new IPEndPoint(IPAddress.IPv6Any, _settings.Port));
        _listener.Listen(1024);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        EdgeLog.Listening(logger, Port, udp.RtpPort, udp.RtcpPort, origin.Address);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var maintenance = MaintainAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener!.AcceptAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                break; // stopping: the listener is closed
            }
            catch (SocketException)
            {
                continue;
            }

            if (_connections.Count >= _settings.MaxConnections)
            {
                EdgeLog.ConnectionLimit(logger, socket.RemoteEndPoint?.ToString() ?? "?", _settings.MaxConnections);
                metrics.BadRequest();
                socket.Dispose();
                continue;
            }

            var connection = new RtspConnection(socket, _reader, _settings, time, metrics, logger);
            _connections[connection] = Task.Run(() => RunConnectionAsync(connection, stoppingToken), CancellationToken.None);
        }

        await maintenance;
    }

    private async Task RunConnectionAsync(RtspConnection connection, CancellationToken stoppingToken)
    {
        metrics.ConnectionOpened();
        try
        {
            await connection.RunAsync(handler.HandleAsync, stoppingToken);
        }
#pragma warning disable CA1031 // One client's unexpected failure must not take the server down; it is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            EdgeLog.ConnectionFailed(logger, connection.Remote.ToString(), ex);
        }
        finally
        {
            foreach (var session in connection.Sessions)
            {
                sessions.Close(session, stoppingToken.IsCancellationRequested ? "shutdown" : "connection closed");
            }

            await connection.DisposeAsync();
            _connections.TryRemove(connection, out _);
            metrics.ConnectionClosed();
        }
    }

    private async Task MaintainAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                sessions.Maintain();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Dispose();

        // BYE to every session while its connection is still open, then let the connections finish.
        foreach (var session in sessions.Registry.All.ToArray())
        {
            sessions.Close(session, "shutdown");
        }

        await base.StopAsync(cancellationToken);
        await Task.WhenAny(Task.WhenAll(_connections.Values), Task.Delay(TimeSpan.FromSeconds(2), cancellationToken));
    }
}
