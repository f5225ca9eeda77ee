using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Rtsp.Client;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.ServiceDefaults.Tls;

namespace GrpcStream.Edge.Origin;

/// <summary>
/// The gRPC channel to the origin, with what securing it takes: the origin's certificate checked against a private
/// CA, the edge's own certificate presented for mutual TLS (reloaded when its files change), a bearer token.
/// </summary>
internal static class OriginChannel
{
    // The Frame message's envelope around the JPEG.
    private const int FrameEnvelopeBytes = 64 * 1024;

    public static GrpcChannel Create(string address, OriginSettings settings, TimeProvider time, ILogger logger)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            ConnectTimeout = TimeSpan.FromSeconds(3),
        };
        if (settings.CaPath is { } ca)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = TlsTrust.Validator(ca, acceptAny: false);
        }

        if (settings.ClientCertificatePath is { } certificatePath)
        {
            var certificate = new ReloadingCertificate(
                new CertificateFiles(certificatePath, settings.ClientKeyPath),
                time,
                loaded => EdgeLog.ClientCertificateLoaded(logger, loaded.Subject, loaded.NotAfter.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture)),
                reason => EdgeLog.CertificateReloadFailed(logger, reason));
            _ = certificate.Current; // a bad file stops the start, not the first call
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate.Current;
        }

        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            // The origin never sends a frame over its Origin:MaxFrameBytes, at most RtpJpegCompatibility.MaxFrameBytes
            // (16 MiB; a 4K frame can exceed gRPC's default 4 MB), so RESOURCE_EXHAUSTED from it always means one of
            // its caps ("not now"), never a message this edge cannot take.
            MaxReceiveMessageSize = RtpJpegCompatibility.MaxFrameBytes + FrameEnvelopeBytes,
            HttpHandler = handler,
        });
    }

    /// <summary>Calls on <paramref name="channel"/> with <paramref name="bearer"/>, when there is one.</summary>
    public static CallInvoker Invoker(GrpcChannel channel, string? bearer) =>
        bearer is { Length: > 0 } token
            ? channel.Intercept(metadata =>
            {
                metadata.Add("authorization", "Bearer " + token);
                return metadata;
            })
            : channel.CreateCallInvoker();

    /// <summary>Why a call failed in TLS, if it did: a certificate refused either way, or a handshake cut short.</summary>
    public static string? TlsFailure(Exception? exception)
    {
        for (var e = exception is RpcException rpc ? rpc.Status.DebugException ?? rpc.InnerException : exception; e is not null; e = e.InnerException)
        {
            if (e is System.Security.Authentication.AuthenticationException)
            {
                return $"TLS handshake with the origin failed: {e.Message}{(e.InnerException is { } inner ? " (" + inner.Message + ")" : string.Empty)}";
            }
        }

        return null;
    }
}
