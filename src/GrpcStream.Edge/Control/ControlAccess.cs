using System.Net;
using Grpc.Core;
using Grpc.Core.Interceptors;
using GrpcStream.Edge.Hosting;
using GrpcStream.ServiceDefaults.Tls;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Control;

/// <summary>
/// Who may call the control API: with <c>Edge:Control:Tokens</c>, whoever presents one as a bearer token; with
/// none, only callers on loopback, and others are told why (PERMISSION_DENIED). Health checks stay open.
/// </summary>
internal sealed class ControlAccess(IOptions<EdgeOptions> options) : Interceptor
{
    private const string ControlService = "/grpcstream.edge.v1.EdgeControl/";
    private readonly BearerTokens _tokens = new(options.Value.Control.Tokens ?? []);

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (!context.Method.StartsWith(ControlService, StringComparison.Ordinal))
        {
            return;
        }

        if (!_tokens.Any)
        {
            var remote = context.GetHttpContext().Connection.RemoteIpAddress;
            if (remote is null || !IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied, $"the control API answers {remote} only with a token: set Edge:Control:Tokens (without tokens it answers loopback only)"));
            }

            return;
        }

        if (_tokens.Refusal(context.RequestHeaders.GetValue("authorization"), "Edge:Control:Tokens") is { } refusal)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, refusal));
        }
    }
}
