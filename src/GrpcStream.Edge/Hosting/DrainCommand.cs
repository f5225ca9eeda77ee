using System.Globalization;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using GrpcStream.Protos.Edge.V1;
using GrpcStream.Shared;
using GrpcStream.Edge.Settings;

namespace GrpcStream.Edge.Hosting;

/// <summary>
/// <c>edge drain [--wait] [--deadline 60s]</c>: asks the running edge, through its own control API on loopback,
/// to drain. A Kubernetes <c>preStop</c> hook runs it, since runtime images have no curl: with <c>--wait</c> it
/// returns once no session is left (or the deadline has closed them), and then the pod may stop.
/// </summary>
internal static class DrainCommand
{
    public const string Command = "drain";

    // Past the deadline the edge closes what is left within its next maintenance tick (a second).
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    /// <param name="args">The arguments after "drain": --wait, --deadline D, and the edge's own settings
    /// (--Edge:Control:Port=N); a token from GRPCSTREAM_TOKEN or the first of Edge:Control:Tokens.</param>
    /// <param name="output">Where progress goes.</param>
    /// <param name="error">Where the one-line failure goes.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>0 once drained (or asked to, without --wait), 1 on failure, 2 for a bad argument.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var wait = false;
        TimeSpan? deadline = null;
        var settings = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--wait":
                    wait = true;
                    break;
                case "--deadline" when i + 1 < args.Length && DurationText.TryParse(args[i + 1], out var parsed) && parsed >= TimeSpan.Zero:
                    deadline = parsed;
                    i++;
                    break;
                case "--deadline":
                    await error.WriteLineAsync("edge drain: --deadline needs a duration such as 60s, 2m or 90").ConfigureAwait(false);
                    return 2;
                default:
                    settings.Add(args[i]);
                    break;
            }
        }

        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine([.. settings], new Dictionary<string, string>(EdgeHost.SwitchMappings)).Build();
        var port = configuration.GetValue("Edge:Control:Port", new ControlSettings().Port);
        var token = Environment.GetEnvironmentVariable("GRPCSTREAM_TOKEN") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : configuration["Edge:Control:Tokens"]?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()
                ?? configuration["Edge:Control:Tokens:0"];

        // With TLS on the control port the edge presents its own certificate, issued for its public name: on loopback
        // the name cannot match, so the certificate is checked to be the very one the edge is configured with.
        var controlSettings = configuration.GetSection("Edge:Control").Get<ControlSettings>() ?? new ControlSettings();
        var rtsps = configuration.GetSection("Edge:Rtsps").Get<RtspsSettings>() ?? new RtspsSettings();
        var tls = controlSettings.UsesTls(rtsps) && rtsps.Enabled;
        using var handler = new SocketsHttpHandler();
        if (tls)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
            {
                using var expected = rtsps.Files().Load();
                return presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(expected.RawData);
            };
        }

        using var channel = GrpcChannel.ForAddress(
            $"{(tls ? "https" : "http")}://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        var invoker = token is { Length: > 0 }
            ? channel.Intercept(metadata =>
            {
                metadata.Add("authorization", "Bearer " + token);
                return metadata;
            })
            : channel.CreateCallInvoker();
        var control = new EdgeControl.EdgeControlClient(invoker);
        try
        {
            var request = new DrainRequest();
            if (deadline is { } after)
            {
                request.DeadlineSeconds = (uint)Math.Ceiling(Math.Min(after.TotalSeconds, uint.MaxValue));
            }

            var status = await control.DrainAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"draining: {status.Sessions} sessions left{(deadline is { } d ? $", closed after {d.TotalSeconds:0.#} s" : string.Empty)}")).ConfigureAwait(false);
            if (!wait)
            {
                return 0;
            }

            using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (deadline is { } limit)
            {
                giveUp.CancelAfter(limit + Grace);
            }

            var left = status.Sessions;
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            while (left > 0 && await timer.WaitForNextTickAsync(giveUp.Token).ConfigureAwait(false))
            {
                left = (await control.GetStatsAsync(new GetStatsRequest(), cancellationToken: giveUp.Token).ConfigureAwait(false)).Sessions;
            }

            await output.WriteLineAsync("drained: no session left").ConfigureAwait(false);
            return 0;
        }
        catch (RpcException ex)
        {
            await error.WriteLineAsync($"edge drain: the control API on port {port} answered {ex.StatusCode}: {ex.Status.Detail}").ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("edge drain: sessions were still open after the deadline").ConfigureAwait(false);
            return 1;
        }
    }
}
