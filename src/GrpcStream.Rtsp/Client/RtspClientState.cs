namespace GrpcStream.Rtsp.Client;

/// <summary>A player's or publisher's view of the session state, following the server's answers (RFC 2326 appendix A.2).</summary>
public enum RtspClientState
{
    Init,
    Ready,
    Playing,

    /// <summary>Publishing: ANNOUNCE, SETUP with mode=record and RECORD have been answered.</summary>
    Recording,
}
