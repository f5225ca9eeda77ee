using System.Buffers;
using GrpcStream.Edge.Settings;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Edge.Requests;

/// <summary>What a connection hands its messages to, and asks about framing: the RTSP side of one client.</summary>
internal interface IRtspConnectionHandler
{
    /// <summary>
    /// Whether the unfinished bytes may be taken as a whole message once the client has been quiet for
    /// <see cref="RtspSettings.QuietGap"/> (a dialect without blank lines).
    /// </summary>
    bool MayEndAtQuietGap(in ReadOnlySequence<byte> pending);

    /// <summary>Whether the connection must stay open while idle (it has sessions).</summary>
    bool KeepsConnectionOpen { get; }

    ValueTask OnMessageAsync(RtspMessage message);

    void OnInterleaved(in InterleavedFrame frame);

    /// <summary>The answer to a message that broke the protocol or a limit, sent before the connection closes.</summary>
    byte[] ErrorResponse(int statusCode);
}
