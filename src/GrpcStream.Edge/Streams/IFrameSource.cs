namespace GrpcStream.Edge.Streams;

/// <summary>
/// Where a session reads its frames: today a live stream's shared frames (a <see cref="StreamHub"/> subscription). A
/// source with its own position and clock (a film played on demand) fits the same seam without changing the session.
/// </summary>
internal interface IFrameSource
{
    string Name { get; }

    /// <summary>The latest frame's 90 kHz time and arrival, for RTP-Info and sender reports; null before the first frame.</summary>
    (uint Pts, long ArrivedAt)? LatestTime { get; }

    /// <summary>Waits (at most <paramref name="timeout"/>) until a frame is held, so that PLAY can start with it.</summary>
    Task WaitForFirstFrameAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Starts sending to <paramref name="sink"/>, beginning with the latest frame right away.</summary>
    void Play(IFrameSink sink);

    /// <summary>Stops sending to <paramref name="sink"/>; it gets no frame once this returns.</summary>
    void Pause(IFrameSink sink);

    /// <summary>The latest frame with a reference the caller releases; null before the first frame.</summary>
    SharedFrame? Latest();

    /// <summary>The next frame to arrive, with a reference the caller releases; null when none came in time.</summary>
    Task<SharedFrame?> NextFrameAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>True for a live stream (one timeline for all, played from now); false for a film on demand.</summary>
    bool IsLive { get; }

    /// <summary>The length of the stream in seconds: null for a live stream, which has no end, or a film whose end is not known yet.</summary>
    double? Duration { get; }

    /// <summary>Where the next frame sent sits, in seconds from the stream's start (npt); 0 for a live stream.</summary>
    double Position { get; }

    /// <summary>The 90 kHz time of the frame a PLAY starts with; null when none is known yet.</summary>
    uint? NextPts { get; }

    /// <summary>Moves to the frame at <paramref name="seconds"/> (clamped to the stream); false when the stream cannot seek (live).</summary>
    bool Seek(double seconds);

    /// <summary>One user fewer: the session that read it has ended.</summary>
    void Release();
}
