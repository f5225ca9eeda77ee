using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GrpcStream.Origin.Security;

/// <summary>
/// Requires <c>authorization: Bearer TOKEN</c> on the media calls when <c>Origin:Auth:Tokens</c> lists any: for
/// deployments behind a TLS-terminating proxy, where client certificates do not reach the origin. Health checks
/// stay open for probes.
/// </summary>
internal sealed class BearerTokens(IConfiguration configuration) : Interceptor
{
    private const string MediaService = "/grpcstream.origin.v1.MediaOrigin/";
    private readonly byte[][] _tokens = Read(configuration).Select(Encoding.UTF8.GetBytes).ToArray();

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
        if (_tokens.Length == 0 || !context.Method.StartsWith(MediaService, StringComparison.Ordinal))
        {
            return;
        }

        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null || !header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "a bearer token is required (Origin:Auth:Tokens)"));
        }

        var presented = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        var match = false;
        foreach (var token in _tokens)
        {
            // Every token is compared, in constant time: how long the check takes says nothing about which is near.
            match |= CryptographicOperations.FixedTimeEquals(presented, token);
        }

        if (!match)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the bearer token is not accepted"));
        }
    }
}
