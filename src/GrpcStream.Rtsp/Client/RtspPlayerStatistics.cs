namespace GrpcStream.Rtsp.Client;

/// <summary>
/// What a player has received so far. <c>RejectedPackets</c> are RTP and RTCP packets dropped because they came from
/// another port than the server announced, or carried another SSRC than the session's: forged, or strays.
/// </summary>
public sealed record RtspPlayerStatistics(
    long Frames,
    long Bytes,
    long Packets,
    long LostPackets,
    long DroppedFrames,
    double JitterMilliseconds,
    double FramesPerSecond,
    TimeSpan? FirstFrameAfterPlay,
    long RejectedPackets = 0);
