using Grpc.Core;
using GrpcStream.Edge.Hosting;
using GrpcStream.ServiceDefaults.Grpc;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Control;

/// <summary>
/// Who may call the control API: a bearer token from <c>Edge:Control:Tokens</c>, or with none, callers on loopback
/// (<see cref="ControlCallers"/>). Health checks and reflection stay open.
/// </summary>
internal sealed class ControlAccess(IOptions<EdgeOptions> options) : CallGuard
{
    private const string ControlService = "/grpcstream.edge.v1.EdgeControl/";
    private readonly ControlCallers _callers = new(options.Value.Control.Tokens ?? [], "Edge:Control:Tokens");

    protected override void Check(ServerCallContext context)
    {
        if (context.Method.StartsWith(ControlService, StringComparison.Ordinal))
        {
            _callers.Check(context);
        }
    }
}
