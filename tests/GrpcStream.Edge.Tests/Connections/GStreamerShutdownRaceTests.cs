using GrpcStream.Testing;

namespace GrpcStream.Edge.Tests.Connections;

/// <summary>The one GStreamer failure the player tests forgive is told apart from every other.</summary>
public class GStreamerShutdownRaceTests
{
    // What gst-launch-1.0 1.22 printed when its PAUSE lost the race with its own CLOSE (seen under load).
    private const string Race = """
        ERROR: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: Could not write to resource.
        Additional debug info:
        ../gst/rtsp/gstrtspsrc.c(6766): gst_rtspsrc_try_send (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:
        Could not send message. (Received end-of-file)
        ERROR: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: Could not write to resource.
        Additional debug info:
        ../gst/rtsp/gstrtspsrc.c(9240): gst_rtspsrc_pause (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:
        Could not send message. (Received end-of-file)
        """;

    [Fact]
    public void The_pause_lost_to_the_close_is_the_race()
    {
        Assert.True(GStreamerPlayer.IsShutdownRace(Race));
    }

    [Theory]
    [InlineData("""
        ERROR: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: Could not write to resource.
        Additional debug info:
        ../gst/rtsp/gstrtspsrc.c(6766): gst_rtspsrc_try_send (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:
        Could not send message. (Received end-of-file)
        """)] // a send that failed while playing, with no PAUSE: the server closed on it
    [InlineData("""
        ERROR: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: Unauthorized
        Additional debug info:
        ../gst/rtsp/gstrtspsrc.c(6925): gst_rtspsrc_send (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:
        Unauthorized (401)
        """)]
    [InlineData("""
        ERROR: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: Could not open resource for reading and writing.
        Additional debug info:
        ../gst/rtsp/gstrtspsrc.c(8118): gst_rtspsrc_retrieve_sdp (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:
        Failed to connect. (Generic error)
        ../gst/rtsp/gstrtspsrc.c(9240): gst_rtspsrc_pause (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:
        Could not send message. (Received end-of-file)
        """)]
    public void Any_other_failure_is_not(string output)
    {
        Assert.False(GStreamerPlayer.IsShutdownRace(output));
    }
}
