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

    /// <summary>"receiving", or "reconnecting: why".</summary>
    public static string OriginLink(StreamInfo stream) => stream.OriginProblem.Length > 0 ? $"{stream.OriginLink}: {stream.OriginProblem}" : stream.OriginLink;

    public static string Fps(StreamInfo stream) => stream.Fps.ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>"40 ms ago", or "none yet".</summary>
    public static string LastFrame(StreamInfo stream) => stream.HasLastFrameAgeMs ? string.Create(CultureInfo.InvariantCulture, $"{stream.LastFrameAgeMs} ms ago") : "none yet";
}
