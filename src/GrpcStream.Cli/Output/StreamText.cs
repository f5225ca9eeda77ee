using System.Globalization;
using GrpcStream.Protos.Edge.V1;

namespace GrpcStream.Cli.Output;

/// <summary>How an edge's stream (<c>ListStreams</c>) reads in a table cell: in <c>streams list</c> and in <c>top</c>.</summary>
internal static class StreamText
{
    /// <summary>Sessions by transport: "tcp=1 udp=2", or "0".</summary>
    public static string Sessions(StreamInfo stream) => stream.Sessions.Count == 0
        ? "0"
        : string.Join(' ', stream.Sessions.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    /// <summary>"receiving from ORIGIN", or "reconnecting: why", after "slate 12 s, " while the stream is on the slate.</summary>
    public static string OriginLink(StreamInfo stream) =>
        (stream.OnSlate ? string.Create(CultureInfo.InvariantCulture, $"slate {stream.SlateSeconds:0} s, ") : string.Empty)
        + (stream.OriginProblem.Length > 0 ? $"{stream.OriginLink}: {stream.OriginProblem}"
            : stream.Origin.Length > 0 ? $"{stream.OriginLink} from {stream.Origin}"
            : stream.OriginLink);

    public static string Fps(StreamInfo stream) => stream.Fps.ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>"40 ms ago", or "none yet".</summary>
    public static string LastFrame(StreamInfo stream) => stream.HasLastFrameAgeMs ? string.Create(CultureInfo.InvariantCulture, $"{stream.LastFrameAgeMs} ms ago") : "none yet";
}
