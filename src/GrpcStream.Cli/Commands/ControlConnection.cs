using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using GrpcStream.Rtsp.Client;

namespace GrpcStream.Cli.Commands;

/// <summary>
/// How the control commands reach an edge's control API (or an origin): its address, and the credentials, a
/// bearer token or a client certificate, with the CA to trust for https:// addresses.
/// </summary>
internal sealed class ControlConnection
{
    public const string DefaultEdge = "http://127.0.0.1:8090";
    public const string DefaultOrigin = "http://127.0.0.1:50051";
    public const string TokenVariable = "GRPCSTREAM_TOKEN";

    private ControlConnection(Command command, Option<string> address)
    {
        Address = address;
        command.Options.Add(Address);
        command.Options.Add(Token);
        command.Options.Add(Ca);
        command.Options.Add(Certificate);
        command.Options.Add(Key);
    }

    /// <summary>Where the calls go: --edge, or --origin for the origin's commands.</summary>
    public Option<string> Address { get; }

    public Option<string?> Token { get; } = new("--token") { Description = $"A bearer token for the control API (default: {TokenVariable})." };

    public Option<string?> Ca { get; } = new("--ca") { Description = "CA certificates (PEM) to trust for an https:// address, besides the system's." };

    public Option<string?> Certificate { get; } = new("--cert") { Description = "A client certificate (PEM), where the server takes certificates as credentials." };

    public Option<string?> Key { get; } = new("--key") { Description = "The client certificate's private key (PEM)." };

    /// <summary>Adds --edge (the edge's control API) and the credentials to <paramref name="command"/>.</summary>
    public static ControlConnection AddTo(Command command) =>
        new(command, new Option<string>("--edge") { Description = "The edge's control API (https:// when it serves TLS).", DefaultValueFactory = _ => DefaultEdge });

    /// <summary>Adds --origin (the origin's gRPC address) and the credentials to <paramref name="command"/>.</summary>
    public static ControlConnection AddOriginTo(Command command) =>
        new(command, new Option<string>("--origin") { Description = "The origin (https:// when it serves TLS).", DefaultValueFactory = _ => DefaultOrigin });

    /// <summary>Calls to the address option's value, or to <paramref name="address"/> when given.</summary>
    public CallInvoker Invoker(ParseResult result, string? address = null)
    {
        address ??= result.GetValue(Address)!;
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliUsageException($"'{address}' is not an http:// or https:// address");
        }

        var handler = new SocketsHttpHandler();
        if (result.GetValue(Ca) is { } ca)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = TlsTrust.Validator(ca, acceptAny: false);
        }

        if (result.GetValue(Certificate) is { } certificate)
        {
            try
            {
                handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(certificate, result.GetValue(Key))];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                throw new CliUsageException($"--cert {certificate} cannot be loaded: {ex.Message}");
            }
        }

        var channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions { HttpHandler = handler });
        var bearer = result.GetValue(Token) ?? Environment.GetEnvironmentVariable(TokenVariable);
        return bearer is { Length: > 0 }
            ? channel.Intercept(metadata =>
            {
                metadata.Add("authorization", "Bearer " + bearer);
                return metadata;
            })
            : channel.CreateCallInvoker();
    }
}
