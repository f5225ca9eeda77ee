using Grpc.Core;
using GrpcStream.ServiceDefaults.Grpc;
using GrpcStream.ServiceDefaults.Tls;

namespace GrpcStream.Origin.Security;

/// <summary>
/// Who may call what on the origin. The media calls need <c>authorization: Bearer TOKEN</c> when
/// <c>Origin:Auth:Tokens</c> lists any: for deployments behind a TLS-terminating proxy, where client certificates
/// do not reach the origin. The control calls need a token from <c>Origin:Control:Tokens</c> or a client
/// certificate (with <c>Origin:Tls:ClientCaPath</c>), or with neither are answered on loopback only
/// (<see cref="ControlCallers"/>). Publishing (<c>PublishFrames</c>) needs a token from <c>Origin:Publish:Tokens</c>
/// or a client certificate; with no auth configured at all it is open, as in MediaMTX, and the start-up log says
/// so. Health checks and reflection stay open for probes.
/// </summary>
internal sealed class OriginCallAccess(IConfiguration configuration) : CallGuard
{
    private const string MediaService = "/grpcstream.origin.v1.MediaOrigin/";
    private const string ControlService = "/grpcstream.origin.v1.OriginControl/";
    private const string PublishMethod = MediaService + "PublishFrames";
    private readonly BearerTokens _mediaTokens = new(Read(configuration, "Origin:Auth:Tokens"));
    private readonly BearerTokens _publishTokens = new(Read(configuration, "Origin:Publish:Tokens"));
    private readonly bool _clientCertificates = !string.IsNullOrEmpty(configuration["Origin:Tls:ClientCaPath"]);
    // With Origin:Tls:ClientCaPath every caller has shown a certificate from that CA during the handshake.
    private readonly ControlCallers _control = new(
        Read(configuration, "Origin:Control:Tokens"), "Origin:Control:Tokens", acceptsClientCertificates: !string.IsNullOrEmpty(configuration["Origin:Tls:ClientCaPath"]));

    /// <summary>The tokens configured at <paramref name="key"/>: indexed children or one comma-separated value.</summary>
    public static string[] Read(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        return section.Value is { } joined
            ? joined.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : [.. section.GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0)];
    }

    /// <summary>True when anyone who reaches the origin may publish: no token or certificate is asked of anyone.</summary>
    public bool PublishingOpen => !_publishTokens.Any && !_mediaTokens.Any && !_clientCertificates && !_control.HasTokens;

    protected override void Check(ServerCallContext context)
    {
        if (context.Method == PublishMethod)
        {
            CheckPublisher(context);
        }
        else if (context.Method.StartsWith(ControlService, StringComparison.Ordinal))
        {
            _control.Check(context);
        }
        else if (_mediaTokens.Any && context.Method.StartsWith(MediaService, StringComparison.Ordinal)
            && _mediaTokens.Refusal(context.RequestHeaders.GetValue("authorization"), "Origin:Auth:Tokens") is { } refusal)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, refusal));
        }
    }

    private void CheckPublisher(ServerCallContext context)
    {
        if (PublishingOpen || (_clientCertificates && context.GetHttpContext().Connection.ClientCertificate is not null))
        {
            return; // a certificate was validated during the handshake, which fails for one the CA did not issue
        }

        if (!_publishTokens.Any)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "publishing needs a token from Origin:Publish:Tokens or a client certificate, and this origin has auth configured but no publish tokens"));
        }

        if (_publishTokens.Refusal(context.RequestHeaders.GetValue("authorization"), "Origin:Publish:Tokens") is { } refusal)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, refusal));
        }
    }
}
