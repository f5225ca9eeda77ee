namespace GrpcStream.Edge.Streams;

/// <summary>
/// Whatever a hub hands its frames to while it plays: a session of any kind. It is called under the hub's send
/// lock, one frame at a time, and must not block: a slow client's frames are queued or dropped by its transport.
/// </summary>
internal interface IFrameSink
{
    /// <summary>Sends <paramref name="frame"/>; a reference is needed only to keep it past the call.</summary>
    void Send(SharedFrame frame);

    /// <summary>The stream played to its end (a film): no frame follows until it is played again.</summary>
    void Ended();
}
