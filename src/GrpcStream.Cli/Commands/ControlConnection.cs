using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace GrpcStream.Cli.Commands;

/// <summary>The gRPC connection of the control commands, to an edge's control API or to an origin.</summary>
internal static class ControlConnection
{
    public const string TokenVariable = "GRPCSTREAM_TOKEN";

    /// <summary>Calls to <paramref name="address"/>, with a bearer token from <paramref name="token"/> or <see cref="TokenVariable"/>.</summary>
    public static CallInvoker Invoker(string address, string? token)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliUsageException($"'{address}' is not an http:// or https:// address");
        }

        var channel = GrpcChannel.ForAddress(uri);
        var bearer = token ?? Environment.GetEnvironmentVariable(TokenVariable);
        return bearer is { Length: > 0 }
            ? channel.Intercept(metadata =>
            {
                metadata.Add("authorization", "Bearer " + bearer);
                return metadata;
            })
            : channel.CreateCallInvoker();
    }
}
