using System.Net;
using GrpcStream.Edge.Rtp;
using GrpcStream.Edge.Streams;

namespace GrpcStream.Edge.Transports;

/// <summary>
/// How one session's RTP and RTCP reach its client: a strategy chosen once, at SETUP. Callers ask it, never test
/// what it is.
/// </summary>
internal interface IMediaTransport
{
    /// <summary>"udp", "tcp", "lab" or "http", as in metrics and logs.</summary>
    string Kind { get; }

    /// <summary>
    /// The client address and port RTP goes to, for transports that send to one: only one session at a time may
    /// hold it. Null for transports inside the connection.
    /// </summary>
    IPEndPoint? Destination { get; }

    /// <summary>
    /// Whether the session ends after <see cref="Settings.RtspSettings.SessionTimeout"/> without a word from its client
    /// (RTSP's rule); false where the session lives exactly as long as its connection (an HTTP viewer).
    /// </summary>
    bool ExpiresWhenSilent { get; }

    /// <summary>The Transport header of the SETUP answer.</summary>
    string Describe(uint ssrc);

    /// <summary>Starts taking the client's RTCP for <paramref name="session"/>.</summary>
    void Attach(ITransportSession session);

    /// <summary>Stops taking RTCP and frees what the transport holds; called once when the session ends.</summary>
    void Detach();

    /// <summary>Sends a frame with the sender's numbering; never blocks on a slow client (it drops instead).</summary>
    void SendFrame(RtpSender sender, SharedFrame frame);

    /// <summary>Sends an RTCP compound packet (sender report, BYE); best effort.</summary>
    void SendRtcp(ReadOnlySpan<byte> compound);

    /// <summary>
    /// The stream played to its end (a film). Over RTSP the session's BYE says so and the session stays for another
    /// PLAY; an HTTP viewer's response ends instead, since a multipart stream has no other way to tell it.
    /// </summary>
    void StreamEnded()
    {
    }
}
