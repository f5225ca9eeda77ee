namespace GrpcStream.Rtsp.Client;

/// <summary>
/// Who takes the binary data interleaved on an <see cref="RtspClientConnection"/> (RFC 2326 §10.12): a player's
/// RTP and RTCP. The connection's read loop calls it, one frame at a time, on its own thread.
/// </summary>
internal interface IInterleavedReceiver
{
    /// <summary>Whether frames on <paramref name="channel"/> are wanted: others are skipped without a copy.</summary>
    bool Accepts(byte channel);

    /// <summary>One frame's payload, valid only for the call.</summary>
    void Receive(byte channel, ReadOnlySpan<byte> payload);

    /// <summary>The connection has ended (closed by either side, or broken): nothing more will arrive.</summary>
    void ConnectionClosed();
}
