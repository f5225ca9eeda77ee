using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GrpcStream.Origin.Security;

/// <summary>
/// Requires <c>authorization: Bearer TOKEN</c> on the media calls when <c>Origin:Auth:Tokens</c> lists any: for
/// deployments behind a TLS-terminating proxy, where client certificates do not reach the origin. Health checks
/// stay open for probes.
/// </summary>
internal sealed class BearerTokenInterceptor(IConfiguration configuration) : Interceptor
{
    private const string MediaService = "/grpcstream.origin.v1.MediaOrigin/";
    private readonly ServiceDefaults.Tls.BearerTokens _tokens = new(Read(configuration));

    /// <summary>The configured tokens: indexed children or one comma-separated value.</summary>
    public static string[] Read(IConfiguration configuration)
    {
        var section = configuration.GetSection("Origin:Auth:Tokens");
        return section.Value is { } joined
            ? joined.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : [.. section.GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0)];
    }

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
        if (!_tokens.Any || !context.Method.StartsWith(MediaService, StringComparison.Ordinal))
        {
            return;
        }

        if (_tokens.Refusal(context.RequestHeaders.GetValue("authorization"), "Origin:Auth:Tokens") is { } refusal)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, refusal));
        }
    }
}
