using System.Globalization;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Jpeg;

namespace GrpcStream.Rtsp.Sdp;

/// <summary>The session description of one JPEG video stream, live or a film on demand, as the edge serves it.</summary>
public static class JpegSessionDescription
{
    /// <summary>The control attribute of the video track, resolved by clients against Content-Base.</summary>
    public const string TrackControl = "track1";

    /// <param name="name">The stream, as the session's name.</param>
    /// <param name="frameRate">Frames per second, as <c>a=framerate</c>.</param>
    /// <param name="width">The frames' width in pixels.</param>
    /// <param name="height">The frames' height in pixels.</param>
    /// <param name="sessionId">The <c>o=</c> line's session id.</param>
    /// <param name="serverAddress">The <c>o=</c> line's address.</param>
    /// <param name="film">
    /// A film's range (<c>npt=0-</c> and its length when known): announced as <c>a=range</c>, so that players show a
    /// seek bar. Null for a live stream: <c>a=type:broadcast</c> and <c>a=range:npt=now-</c>.
    /// </param>
    public static SessionDescription Create(string name, double frameRate, int width, int height, ulong sessionId, string serverAddress, RangeHeader? film = null)
    {
        var description = new SessionDescription
        {
            Origin = $"- {sessionId.ToString(CultureInfo.InvariantCulture)} 1 IN {(serverAddress.Contains(':', StringComparison.Ordinal) ? "IP6" : "IP4")} {serverAddress}",
            SessionName = name,
            Connection = "IN IP4 0.0.0.0",
        };
        description.Times.Add("0 0");
        description.Attributes.Add(new SdpAttribute("tool", "GrpcStream"));
        if (film is null)
        {
            description.Attributes.Add(new SdpAttribute("type", "broadcast"));
        }

        description.Attributes.Add(new SdpAttribute("control", "*"));
        description.Attributes.Add(new SdpAttribute("range", (film ?? RangeHeader.Live).ToString()));

        var video = new MediaDescription { Media = "video", Port = 0, Protocol = "RTP/AVP" };
        video.Formats.Add(RtpJpegHeader.PayloadType.ToString(CultureInfo.InvariantCulture));
        video.Attributes.Add(new SdpAttribute("rtpmap", $"{RtpJpegHeader.PayloadType} JPEG/{RtpJpegHeader.ClockRate}"));
        video.Attributes.Add(new SdpAttribute("control", TrackControl));
        video.Attributes.Add(new SdpAttribute("framerate", frameRate.ToString("0.###", CultureInfo.InvariantCulture)));

        // The JPEG header carries sizes in units of 8 pixels up to 2040: outside that, or when the size is not a
        // multiple of 8, the exact size is only known from here.
        if (width > 2040 || height > 2040 || width % 8 != 0 || height % 8 != 0)
        {
            video.Attributes.Add(new SdpAttribute("x-dimensions", $"{width.ToString(CultureInfo.InvariantCulture)},{height.ToString(CultureInfo.InvariantCulture)}"));
        }

        description.Media.Add(video);
        return description;
    }
}
