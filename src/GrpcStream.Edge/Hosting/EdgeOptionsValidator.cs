using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Hosting;

/// <summary>Checks the options at start-up so that a bad value stops the edge with a reason.</summary>
internal sealed class EdgeOptionsValidator : IValidateOptions<EdgeOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeOptions options)
    {
        var failures = new List<string>();
        Port(failures, "Edge:Rtsp:Port", options.Rtsp.Port, allowZero: true);
        Port(failures, "Edge:Http:Port", options.Http.Port, allowZero: true);
        if (options.Rtsp.RtpPort != 0 && (options.Rtsp.RtpPort is < 1 or > 65534 || options.Rtsp.RtpPort % 2 != 0))
        {
            failures.Add($"Edge:Rtsp:RtpPort must be an even port from 2 to 65534, or 0 for any (was {options.Rtsp.RtpPort})");
        }

        if (!Uri.TryCreate(options.Origin.Address, UriKind.Absolute, out var origin) || origin.Scheme is not ("http" or "https"))
        {
            failures.Add($"Edge:Origin:Address must be an http:// or https:// URL (was '{options.Origin.Address}')");
        }

        if (options.Rtsp.MaxConnections < 1)
        {
            failures.Add("Edge:Rtsp:MaxConnections must be at least 1");
        }

        if (options.Rtsp.MaxConnectionsPerAddress < 0)
        {
            failures.Add("Edge:Rtsp:MaxConnectionsPerAddress must be 0 (no cap) or more");
        }

        if (options.Rtsp.MaxSessions < 1)
        {
            failures.Add("Edge:Rtsp:MaxSessions must be at least 1");
        }

        if (options.Rtsp.MaxSessionsPerConnection < 1)
        {
            failures.Add("Edge:Rtsp:MaxSessionsPerConnection must be at least 1");
        }

        if (options.Rtsp.WriteTimeout < TimeSpan.FromSeconds(1))
        {
            failures.Add("Edge:Rtsp:WriteTimeout must be at least 1 second");
        }

        if (options.Rtsp.RequestTimeout < TimeSpan.FromSeconds(1))
        {
            failures.Add("Edge:Rtsp:RequestTimeout must be at least 1 second");
        }

        if (options.Rtsp.QuietGap <= TimeSpan.Zero || options.Rtsp.QuietGap >= options.Rtsp.RequestTimeout)
        {
            failures.Add("Edge:Rtsp:QuietGap must be above zero and below Edge:Rtsp:RequestTimeout");
        }

        if (options.Rtsp.MaxQueuedBytes < 2 * Connections.OutgoingQueue.ControlReserve)
        {
            failures.Add($"Edge:Rtsp:MaxQueuedBytes must be at least {2 * Connections.OutgoingQueue.ControlReserve} (was {options.Rtsp.MaxQueuedBytes})");
        }

        if (options.Rtsp.SessionTimeout < TimeSpan.FromSeconds(5))
        {
            failures.Add("Edge:Rtsp:SessionTimeout must be at least 5 seconds");
        }

        if (options.Rtsp.MaxPayloadSize is < 400 or > 65000)
        {
            failures.Add($"Edge:Rtsp:MaxPayloadSize must be between 400 and 65000 (was {options.Rtsp.MaxPayloadSize})");
        }

        if (options.Rtsp.TcpQueueFrames < 1)
        {
            failures.Add("Edge:Rtsp:TcpQueueFrames must be at least 1");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Port(List<string> failures, string key, int port, bool allowZero)
    {
        if (port is < 0 or > 65535 || (port == 0 && !allowZero))
        {
            failures.Add($"{key} must be a port from 1 to 65535 (was {port})");
        }
    }
}
