using System.Text.RegularExpressions;

namespace GrpcStream.Testing;

/// <summary>GStreamer's <c>rtspsrc</c> as a player: it plays a URL until a number of frames are saved as JPEG files.</summary>
public static partial class GStreamerPlayer
{
    /// <summary>
    /// Plays <paramref name="url"/> until at least <paramref name="frames"/> frames are written to DIR/gst000.jpg...;
    /// a failure of the player fails the test, except GStreamer's own shutdown race (see <see cref="IsShutdownRace"/>)
    /// once those frames were written. The pipeline asks for one frame more: the race stops it at once, and can cut
    /// off the writing of its last frame (seen in CI: four files of five).
    /// </summary>
    public static async Task PlayAsync(string url, string dir, int frames, params string[] rtspsrcProperties)
    {
        try
        {
            await ExternalTool.RunAsync(
                "gst-launch-1.0",
                [
                    "-q", "rtspsrc", $"location={url}", .. rtspsrcProperties, "!", "rtpjpegdepay", "!",
                    "identity", $"eos-after={frames + 1}", "!", "multifilesink", $"location={dir}/gst%03d.jpg",
                ],
                timeout: TimeSpan.FromSeconds(60));
        }
        catch (InvalidOperationException ex) when (IsShutdownRace(ex.Message) && Directory.GetFiles(dir, "gst*.jpg").Length >= frames)
        {
            // Every frame arrived; the player tripped over itself on the way out.
        }
    }

    /// <summary>
    /// On EOS gst-launch takes the pipeline down: rtspsrc queues a PAUSE, and its CLOSE flushes the connection
    /// while that PAUSE is being sent, which reports "Could not send message. (Received end-of-file)" from
    /// gst_rtspsrc_try_send and gst_rtspsrc_pause within microseconds and no byte from the server (traced with
    /// GST_DEBUG=rtspsrc:6 under load: the TEARDOWN that follows on the same connection gets its 200). GStreamer
    /// 1.22 then exits with 1. Only errors from those two functions, with the PAUSE among them, are this race.
    /// </summary>
    public static bool IsShutdownRace(string output)
    {
        var functions = SourceFunction().Matches(output).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        return functions.Contains("gst_rtspsrc_pause") && functions.IsSubsetOf(["gst_rtspsrc_pause", "gst_rtspsrc_try_send"])
            && output.Contains("Could not send message. (Received end-of-file)", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"gst/rtsp/gstrtspsrc\.c\(\d+\): (\w+) \(\)")]
    private static partial Regex SourceFunction();
}
