using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Tls;
using GrpcStream.Edge.Native;
using GrpcStream.Edge.Requests;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Messages;
using Microsoft.Extensions.Options;
using GrpcStream.Shared.Net;

namespace GrpcStream.Edge.Connections;

/// <summary>
/// Accepts RTSP connections within <see cref="RtspSettings.MaxConnections"/> (lowered to what the open-file limit
/// allows) and <see cref="RtspSettings.MaxConnectionsPerAddress"/>, and runs each; its heartbeat walks the
/// connections once a second and cuts off those whose client stopped reading (sessions keep their own time:
/// <see cref="SessionHeartbeat"/>). On shutdown every session gets an RTCP BYE and every connection is closed.
/// </summary>
internal sealed class RtspListener(
    RequestRouter router,
    SessionManager sessions,
    UdpRtpServer udp,
    EdgeMetrics metrics,
    IOptions<EdgeOptions> options,
    TimeProvider time,
    ILogger<RtspListener> logger) : BackgroundService
{
    private static readonly TimeSpan MaxAcceptBackoff = TimeSpan.FromSeconds(1);
    private readonly RtspSettings _settings = options.Value.Rtsp;
    private readonly RtspMessageReader _reader = new(RtspLimits.Default);
    private readonly ConcurrentDictionary<RtspConnection, Task> _connections = new();
    private readonly AddressCounts _perAddress = new(options.Value.Rtsp.MaxConnectionsPerAddress);
    private Socket? _listener;
    private Socket? _tlsListener;
    private ServiceDefaults.Tls.ReloadingCertificate? _certificate;
    private int _maxConnections;
    private int _handshaking;

    /// <summary>The RTSP port actually bound (useful when 0 was asked for).</summary>
    public int Port { get; private set; }

    /// <summary>RTSP and RTSPS connections open now.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>The RTSPS port actually bound; 0 when RTSPS is off.</summary>
    public int TlsPort { get; private set; }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        udp.Start();
        _listener = Listen(_settings.Port);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        if (options.Value.Rtsps is { Enabled: true } rtsps)
        {
            _certificate = ServerCertificate.Reloading(rtsps, time, logger);
            _ = _certificate.Current; // loaded now, so a bad file stops the start, not the first client
            _tlsListener = Listen(rtsps.Port);
            TlsPort = ((IPEndPoint)_tlsListener.LocalEndPoint!).Port;
            EdgeLog.ListeningTls(logger, TlsPort);
        }

        _maxConnections = _settings.MaxConnections;
        if (FileDescriptors.ConnectionHeadroom() is { } headroom && headroom < _maxConnections)
        {
            _maxConnections = headroom;
            EdgeLog.ConnectionsCappedByFileLimit(logger, _settings.MaxConnections, headroom, FileDescriptors.Reserve);
        }

        EdgeLog.Listening(logger, Port, udp.RtpPort, udp.RtcpPort, string.Join(", ", options.Value.Origin.OriginAddresses));
        return base.StartAsync(cancellationToken);
    }

    private static Socket Listen(int port)
    {
        var listener = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
        listener.Listen(1024);
        return listener;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var heartbeat = HeartbeatAsync(stoppingToken);
        var tls = _tlsListener is null ? Task.CompletedTask : AcceptAsync(_tlsListener, secure: true, stoppingToken);
        await AcceptAsync(_listener!, secure: false, stoppingToken).ConfigureAwait(false);
        await tls.ConfigureAwait(false);
        await heartbeat.ConfigureAwait(false);
    }

    private async Task AcceptAsync(Socket listener, bool secure, CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
                backoff = TimeSpan.Zero;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                break; // stopping: the listener is closed
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                // Out of file descriptors (EMFILE/ENFILE) or memory: accepting again at once would spin. The
                // pending connection stays in the backlog until descriptors are free again.
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(10) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxAcceptBackoff.Ticks));
                metrics.LimitHit(EdgeLimits.FileDescriptors);
                EdgeLog.AcceptBackoff(logger, ex.Message, backoff.TotalMilliseconds);
                await Task.Delay(backoff, time, stoppingToken).ConfigureAwait(false);
                continue;
            }
            catch (SocketException)
            {
                continue; // the client gave up before we accepted
            }

            Admit(socket, secure, stoppingToken);
        }
    }

    private void Admit(Socket socket, bool secure, CancellationToken stoppingToken)
    {
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        var address = PlainAddress.Of(remote.Address);
        string? refusal = null;
        if (_connections.Count + Volatile.Read(ref _handshaking) >= _maxConnections)
        {
            metrics.LimitHit(EdgeLimits.MaxConnections);
            refusal = $"{_maxConnections} connections open";
        }
        else if (!_perAddress.TryAdd(address))
        {
            metrics.LimitHit(EdgeLimits.MaxConnectionsPerAddress);
            refusal = $"{_settings.MaxConnectionsPerAddress} connections open from its address";
        }

        if (refusal is not null)
        {
            EdgeLog.ConnectionRefused(logger, remote.ToString(), refusal);
            socket.Close(0); // a reset: the client learns at once, and no state is left behind
            return;
        }

        // A peer that vanished without a FIN (a pulled cable, a NAT that forgot us) is found by keepalive
        // probes instead of holding a connection and its sessions until they time out.
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);

        if (!secure)
        {
            Run(new RtspConnection(socket, null, _reader, _settings, time, metrics, logger), address, stoppingToken);
            return;
        }

        Interlocked.Increment(ref _handshaking);
        _ = Task.Run(() => HandshakeAsync(socket, address, stoppingToken), CancellationToken.None);
    }

    private void Run(RtspConnection connection, IPAddress address, CancellationToken stoppingToken) =>
        _connections[connection] = Task.Run(() => RunConnectionAsync(connection, address, stoppingToken), CancellationToken.None);

    // The handshake has the request timeout, as any partial message: a client that opens RTSPS and says nothing
    // holds a connection slot no longer than one that starts a request and stops.
    private async Task HandshakeAsync(Socket socket, IPAddress address, CancellationToken stoppingToken)
    {
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(_settings.RequestTimeout);
            await tls.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions
                {
                    ServerCertificateSelectionCallback = (_, _) => _certificate!.Current,
                    EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
                },
                timeout.Token).ConfigureAwait(false);
            Run(new RtspConnection(socket, tls, _reader, _settings, time, metrics, logger), address, stoppingToken);
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            metrics.LimitHit(EdgeLimits.TlsHandshake);
            EdgeLog.HandshakeFailed(logger, address.ToString(), ex is OperationCanceledException ? "did not finish in time" : ex.Message);
            await tls.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            _perAddress.Remove(address);
        }
        finally
        {
            Interlocked.Decrement(ref _handshaking);
        }
    }

    private async Task RunConnectionAsync(RtspConnection connection, IPAddress address, CancellationToken stoppingToken)
    {
        metrics.ConnectionOpened();
        var client = router.Open(connection);
        try
        {
            await connection.RunAsync(client, stoppingToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One client's unexpected failure must not take the server down; it is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            EdgeLog.ConnectionFailed(logger, connection.Remote.ToString(), ex);
            connection.Faulted(ex.Message);
        }
        finally
        {
            if (stoppingToken.IsCancellationRequested)
            {
                client.CloseSessions(SessionEndReason.Shutdown, null);
            }
            else
            {
                client.CloseSessions(connection.Fault is null ? SessionEndReason.Disconnected : SessionEndReason.Error, connection.Fault);
            }

            await router.ConnectionClosedAsync(client).ConfigureAwait(false);

            _connections.TryRemove(connection, out _);
            _perAddress.Remove(address);
            await connection.DisposeAsync().ConfigureAwait(false);
            metrics.ConnectionClosed();
        }
    }

    /// <summary>Once a second, every connection is asked whether a send has waited on its client too long (Kestrel's heartbeat, for RTSP).</summary>
    private async Task HeartbeatAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var now = time.GetTimestamp();
                foreach (var connection in _connections.Keys)
                {
                    connection.CheckWriteTimeout(now);
                }
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
        _tlsListener?.Dispose();

        // BYE to every session while its connection is still open, then let the connections finish.
        sessions.CloseAll(SessionEndReason.Shutdown);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(2), time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // The host's own shutdown timeout bounds what is left.
        }
    }
}
