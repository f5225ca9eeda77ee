using System.Net;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Rtsp.Headers;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Transports;

/// <summary>Makes the transport a client asked for, when the edge can serve it.</summary>
internal sealed class TransportFactory(UdpRtpServer udp, EdgeMetrics metrics, IOptions<EdgeOptions> options)
{
    private readonly RtspSettings _settings = options.Value.Rtsp;

    /// <summary>RTP/AVP unicast for playing, over UDP to the client's address or interleaved on its connection.</summary>
    public IMediaTransport? TryCreateRtpAvp(TransportSpec spec, TransportClient client)
    {
        if (!spec.IsRtpAvp || spec.IsMulticast || spec.Mode is not (null or "PLAY"))
        {
            return null;
        }

        if (spec.LowerTransport == LowerTransport.Tcp)
        {
            if (spec.Interleaved is { } asked && asked.Second != asked.First + 1)
            {
                return null;
            }

            return client.Channels.TryReserve(spec.Interleaved?.First) is { } channel
                ? new InterleavedTransport(client.Output, client.Channels, metrics, channel, _settings.TcpQueueFrames)
                : null;
        }

        if (spec.ClientPorts is not { First: > 0 } ports || ports.Second >= 65535 || ports.Second < ports.First)
        {
            return null;
        }

        // RTP goes to the address the request came from, never to one the client names: the edge must not be
        // turned on a third party.
        var address = client.Address;
        var rtcpPort = ports.Second != ports.First ? ports.Second : ports.First + 1;
        return new UdpTransport(udp, metrics, new IPEndPoint(address, ports.First), new IPEndPoint(address, rtcpPort));
    }

    /// <summary>The lab client's whole-frame transport to its one port.</summary>
    public IMediaTransport CreateLab(TransportClient client, int port) =>
        new LabUdpTransport(udp, metrics, new IPEndPoint(client.Address, port));
}
