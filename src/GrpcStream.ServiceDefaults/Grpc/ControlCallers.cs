using System.Net;
using Grpc.Core;
using GrpcStream.ServiceDefaults.Tls;
using GrpcStream.Shared.Net;

namespace GrpcStream.ServiceDefaults.Grpc;

/// <summary>
/// Who may call a control service (the edge's <c>EdgeControl</c>, the origin's <c>OriginControl</c>): with tokens
/// configured, whoever presents one (UNAUTHENTICATED otherwise); with none, only callers on loopback, and others
/// are told why (PERMISSION_DENIED). A control plane left without tokens is then safe by default.
/// </summary>
/// <param name="tokens">The accepted bearer tokens.</param>
/// <param name="setting">Where they are configured, for the refusal's message.</param>
/// <param name="acceptsClientCertificates">True when TLS asks callers for certificates and checks them against a
/// CA: a caller that presented one has proved who it is, as a token would.</param>
public sealed class ControlCallers(IEnumerable<string> tokens, string setting, bool acceptsClientCertificates = false)
{
    private readonly BearerTokens _tokens = new(tokens);

    /// <summary>Whether any token is configured.</summary>
    public bool HasTokens => _tokens.Any;

    public void Check(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (acceptsClientCertificates && context.GetHttpContext().Connection.ClientCertificate is not null)
        {
            return; // validated during the handshake, which fails for a certificate the CA did not issue
        }

        if (!_tokens.Any)
        {
            var remote = context.GetHttpContext().Connection.RemoteIpAddress;
            if (remote is null || !IPAddress.IsLoopback(PlainAddress.Of(remote)))
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied, $"the control API answers {remote} only with a token: set {setting} (without tokens it answers loopback only)"));
            }

            return;
        }

        if (_tokens.Refusal(context.RequestHeaders.GetValue("authorization"), setting) is { } refusal)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, refusal));
        }
    }
}
