using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Rtsp.Client;

/// <summary>The client's view of the session state, following the server's answers (RFC 2326 appendix A.2).</summary>
public enum RtspClientState
{
    Init,
    Ready,
    Playing,

    /// <summary>Publishing: ANNOUNCE, SETUP with mode=record and RECORD have been answered.</summary>
    Recording,
}

/// <summary>How RTP reaches the client.</summary>
public enum RtspTransport
{
    Udp,
    Tcp,
}

public sealed record RtspClientOptions
{
    public RtspTransport Transport { get; init; } = RtspTransport.Udp;

    /// <summary>Local RTP port for UDP (RTCP on the next); 0 picks a free even port.</summary>
    public int RtpPort { get; init; }

    /// <summary>How long to wait for each response.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for the TCP connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Received frames held for a slow consumer before the oldest is dropped (and counted).</summary>
    public int FrameBuffer { get; init; } = 64;

    /// <summary>Bytes of received frames held for a slow consumer; past it the oldest are dropped (and counted).</summary>
    public long FrameBufferBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// The largest frame the client rebuilds (16 MiB, the most RFC 2435 can carry); larger ones are dropped and
    /// counted, so that no server can make the client hold more.
    /// </summary>
    public int MaxFrameBytes { get; init; } = Jpeg.RtpJpegCompatibility.MaxFrameBytes;

    public string UserAgent { get; init; } = "GrpcStream";

    /// <summary>
    /// False to only count frames (statistics) without rebuilding or copying them: for load generators, where the
    /// frames themselves are not needed. Packets are still checked as a player would (sequence, fragments, SSRC);
    /// UDP is received in batches and TCP in large reads.
    /// </summary>
    public bool DeliverFrames { get; init; } = true;

    /// <summary>
    /// With <see cref="DeliverFrames"/> off, whether the batch receiver turns on UDP generic receive offload, so that
    /// the kernel hands over a sender's segmented run of datagrams whole. Players (ffmpeg, GStreamer, VLC) do not:
    /// without it, the kernel splits each run into datagrams on the sender's time, which is what a server costs
    /// when real players watch.
    /// </summary>
    public bool UdpGro { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The user to log in as; overrides the URL's user information (with <see cref="Password"/>).</summary>
    public string? UserName { get; init; }

    public string? Password { get; init; }

    /// <summary>For rtsps://: a PEM file of CA certificates to trust for the server's certificate, besides the system's.</summary>
    public string? TlsCaPath { get; init; }

    /// <summary>For rtsps://: accept any server certificate (encrypted, but anyone in the middle can read it).</summary>
    public bool AcceptAnyCertificate { get; init; }

    /// <summary>Told about risks the caller should know of (a password sent in clear, say).</summary>
    public Action<string>? Warning { get; init; }
}

/// <summary>A server's answer: its status, headers and body (the message is a copy, safe to keep).</summary>
public sealed class RtspResponse(RtspMessage message)
{
    public int StatusCode => message.StatusCode;

    public string ReasonPhrase => message.ReasonPhrase;

    public bool IsSuccess => StatusCode is >= 200 and < 300;

    public string? GetHeader(string name) => message.GetHeader(name);

    public ReadOnlyMemory<byte> Body => message.Body;

    /// <summary>Every header, in the order sent.</summary>
    public IEnumerable<(string Name, string Value)> Headers
    {
        get
        {
            for (var i = 0; i < message.HeaderCount; i++)
            {
                yield return (System.Text.Encoding.ASCII.GetString(message.GetHeaderName(i)), System.Text.Encoding.UTF8.GetString(message.GetHeaderValue(i)));
            }
        }
    }

    public override string ToString() => $"RTSP/1.0 {StatusCode} {ReasonPhrase}";
}

/// <summary>A complete JPEG frame as received: a JFIF image rebuilt from RFC 2435 packets.</summary>
public sealed record ReceivedFrame(byte[] Jpeg, uint RtpTimestamp, TimeSpan ArrivedAfterPlay);

/// <summary>
/// What a client has received so far. <c>RejectedPackets</c> are RTP and RTCP packets dropped because they came from
/// another port than the server announced, or carried another SSRC than the session's: forged, or strays.
/// </summary>
public sealed record RtspClientStatistics(
    long Frames,
    long Bytes,
    long Packets,
    long LostPackets,
    long DroppedFrames,
    double JitterMilliseconds,
    double FramesPerSecond,
    TimeSpan? FirstFrameAfterPlay,
    long RejectedPackets = 0);

/// <summary>The server answered with an error status.</summary>
public sealed class RtspStatusException(RtspMethod method, int statusCode, string reason)
    : Exception($"{method.Name()} failed: {statusCode} {reason}")
{
    public RtspMethod Method { get; } = method;

    public int StatusCode { get; } = statusCode;

    public string Reason { get; } = reason;
}

/// <summary>The URL or what the server described cannot be played (no JPEG video track, say).</summary>
public class RtspClientException(string message) : Exception(message);

/// <summary>The server's certificate was not trusted (or the TLS handshake failed otherwise); the caller says how to trust it.</summary>
public sealed class RtspTlsException(string message) : RtspClientException(message);

internal static class RtspUrls
{
    public static RtspUrl ParseOrThrow(string url) =>
        RtspUrl.TryParse(url, out var parsed) ? parsed : throw new RtspClientException($"'{url}' is not an rtsp:// URL.");
}
