using System.Globalization;
using GrpcStream.Protos.Origin.V1;

namespace GrpcStream.Cli.Output;

/// <summary>How an origin's stream (<c>DescribeStream</c>, <c>ListStreams</c>) reads in a table cell.</summary>
internal static class OriginStreamText
{
    /// <summary>"live", "on-demand", or "on-demand, loop".</summary>
    public static string Mode(StreamDescription stream) => stream.Mode switch
    {
        StreamMode.OnDemand => stream.Loop ? "on-demand, loop" : "on-demand",
        _ => "live",
    };

    /// <summary>The film's length as "m:ss.f" (or "h:mm:ss.f"); "-" while unknown (still indexing) or for a published stream.</summary>
    public static string Duration(StreamDescription stream)
    {
        if (stream.DurationSeconds <= 0 || !double.IsFinite(stream.DurationSeconds))
        {
            return "-";
        }

        var length = TimeSpan.FromSeconds(Math.Round(stream.DurationSeconds, 1));
        return length.TotalHours >= 1
            ? length.ToString(@"h\:mm\:ss\.f", CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{(int)length.TotalMinutes}:{length:ss\\.f}");
    }
}
