using System.Net;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using GrpcStream.Shared.Net;

namespace GrpcStream.Edge.Http;

/// <summary>
/// <see cref="HttpSettings.MaxConnectionsPerAddress"/> on the HTTP port, as the RTSP listener has it: a connection
/// from an address that holds the most already is closed as it arrives, before TLS or any request is read.
/// </summary>
internal sealed class HttpConnectionLimit(IOptions<EdgeOptions> options, EdgeMetrics metrics, ILogger<HttpConnectionLimit> logger)
{
    private readonly AddressCounts _perAddress = new(options.Value.Http.MaxConnectionsPerAddress);

    /// <summary>Puts the limit first in <paramref name="endpoint"/>'s connection pipeline.</summary>
    public static void Use(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions endpoint) =>
        endpoint.Use(next =>
        {
            var limit = endpoint.ApplicationServices.GetRequiredService<HttpConnectionLimit>();
            return connection => limit.OnConnectionAsync(connection, next);
        });

    private async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (connection.RemoteEndPoint is not IPEndPoint remote)
        {
            await next(connection).ConfigureAwait(false);
            return;
        }

        if (!_perAddress.TryAdd(remote.Address))
        {
            metrics.LimitHit(EdgeLimits.HttpConnectionsPerAddress);
            EdgeLog.ConnectionRefused(logger, remote.ToString(), $"{_perAddress.Limit} HTTP connections open from its address");
            connection.Abort(new ConnectionAbortedException("too many connections from this address"));
            return;
        }

        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            _perAddress.Remove(remote.Address);
        }
    }
}
