using System.Globalization;
using GrpcStream.Rtsp.Client;

namespace GrpcStream.Cli.Output;

/// <summary>How statistics read on screen: the live status line and the final summary.</summary>
internal static class StatisticsText
{
    public static string StatusLine(RtspPlayerStatistics stats, TimeSpan elapsed) => string.Create(CultureInfo.InvariantCulture,
        $"frames {stats.Frames,6}  {stats.FramesPerSecond,5:0.0} fps  {Megabits(stats.Bytes, elapsed),6:0.00} Mbit/s  lost {stats.LostPackets} packets  jitter {stats.JitterMilliseconds:0.0} ms");

    public static string Summary(RtspPlayerStatistics stats, TimeSpan elapsed)
    {
        var first = stats.FirstFrameAfterPlay is { } latency
            ? string.Create(CultureInfo.InvariantCulture, $", first frame {latency.TotalMilliseconds:0} ms after PLAY")
            : string.Empty;
        var rejected = stats.RejectedPackets > 0
            ? string.Create(CultureInfo.InvariantCulture, $", {stats.RejectedPackets} packets rejected (not from the session's server port or SSRC)")
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture,
            $"{stats.Frames} frames, {stats.Bytes} bytes in {elapsed.TotalSeconds:0.0} s: {stats.FramesPerSecond:0.0} fps, {Megabits(stats.Bytes, elapsed):0.00} Mbit/s, {stats.LostPackets} packets lost, {stats.DroppedFrames} frames dropped, jitter {stats.JitterMilliseconds:0.00} ms{first}{rejected}");
    }

    private static double Megabits(long bytes, TimeSpan elapsed) => elapsed <= TimeSpan.Zero ? 0 : bytes * 8 / elapsed.TotalSeconds / 1_000_000;
}
