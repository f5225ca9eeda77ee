using Grpc.Core;
using GrpcStream.Edge.Settings;
using GrpcStream.ServiceDefaults.Grpc;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Control;

/// <summary>
/// Who may call the control API: a bearer token from <c>Edge:Control:Tokens</c>, a client certificate from
/// <c>Edge:Control:ClientCaPath</c>, or with neither, callers on loopback (<see cref="ControlCallers"/>). Health
/// checks and reflection stay open.
/// </summary>
internal sealed class ControlAccess(IOptions<EdgeOptions> options) : CallGuard
{
    private const string ControlService = "/grpcstream.edge.v1.EdgeControl/";
    private readonly ControlCallers _callers = new(options.Value.Control.Tokens ?? [], "Edge:Control:Tokens", acceptsClientCertificates: options.Value.Control.ClientCaPath is not null);

    protected override void Check(ServerCallContext context)
    {
        if (context.Method.StartsWith(ControlService, StringComparison.Ordinal))
        {
            _callers.Check(context);
        }
    }
}
