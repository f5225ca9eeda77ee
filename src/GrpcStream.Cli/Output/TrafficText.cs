namespace GrpcStream.Cli.Output;

/// <summary>How RTSP messages read in <c>grpcstream control</c>: each line set off by a bar, apart from what was typed.</summary>
internal static class TrafficText
{
    public static string Indented(string message)
    {
        var lines = message.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        return string.Concat(lines.Select(l => "  | " + l + Environment.NewLine));
    }
}
