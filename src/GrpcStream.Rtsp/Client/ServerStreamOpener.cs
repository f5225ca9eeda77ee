using System.Net.Security;
using System.Net.Sockets;
using GrpcStream.Rtsp.Headers;

namespace GrpcStream.Rtsp.Client;

/// <summary>
/// Opens the byte stream to an RTSP server: TCP (dual-stack, no Nagle delay: requests are small and waited on),
/// and for rtsps:// TLS over it, each within the connect timeout.
/// </summary>
internal static class ServerStreamOpener
{
    /// <summary>The connected socket and the stream to read and write (the socket's own, or TLS over it).</summary>
    /// <exception cref="TimeoutException">The connection or the handshake took longer than the connect timeout.</exception>
    /// <exception cref="RtspTlsException">The server's certificate was not trusted, or the handshake failed.</exception>
    public static async Task<(TcpClient Tcp, Stream Stream)> OpenAsync(RtspUrl url, RtspClientOptions options, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient(AddressFamily.InterNetworkV6) { NoDelay = true };
        try
        {
            tcp.Client.DualMode = true;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(options.ConnectTimeout);
                try
                {
                    await tcp.ConnectAsync(url.Host, url.Port, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"Could not connect to {url.Host}:{url.Port} within {options.ConnectTimeout.TotalSeconds:0.#} s.");
                }
            }

            Stream stream = tcp.GetStream();
            if (url.IsSecure)
            {
                stream = await AuthenticateAsync(stream, url, options, cancellationToken).ConfigureAwait(false);
            }

            return (tcp, stream);
        }
        catch
        {
            // Nothing half-open is left behind: a later request tries again from the start.
            tcp.Dispose();
            throw;
        }
    }

    private static async Task<Stream> AuthenticateAsync(Stream plain, RtspUrl url, RtspClientOptions options, CancellationToken cancellationToken)
    {
        var tls = new SslStream(plain, leaveInnerStreamOpen: false);
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshake.CancelAfter(options.ConnectTimeout);
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = url.Host,
                    RemoteCertificateValidationCallback = TlsTrust.Validator(options.TlsCaPath, options.AcceptAnyCertificate),
                },
                handshake.Token).ConfigureAwait(false);
            return tls;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The TLS handshake with {url.Host}:{url.Port} did not finish within {options.ConnectTimeout.TotalSeconds:0.#} s.");
        }
        catch (System.Security.Authentication.AuthenticationException ex)
        {
            throw new RtspTlsException($"TLS with {url.Host}:{url.Port} failed: {ex.Message}");
        }
    }
}
