using System.Net;
using Grpc.Core;
using GrpcStream.ServiceDefaults.Tls;

namespace GrpcStream.ServiceDefaults.Grpc;

/// <summary>
/// Who may call a control service (the edge's <c>EdgeControl</c>, the origin's <c>OriginControl</c>): with tokens
/// configured, whoever presents one (UNAUTHENTICATED otherwise); with none, only callers on loopback, and others
/// are told why (PERMISSION_DENIED). A control plane left without tokens is then safe by default.
/// </summary>
public sealed class ControlCallers(IEnumerable<string> tokens, string setting)
{
    private readonly BearerTokens _tokens = new(tokens);

    public void Check(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_tokens.Any)
        {
            var remote = context.GetHttpContext().Connection.RemoteIpAddress;
            if (remote is null || !IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
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
