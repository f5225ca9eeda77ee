namespace GrpcStream.Rtsp.Media;

/// <summary>
/// Finds the frames of one file as its bytes come in, a window at a time, so that a file of any size is indexed in
/// a bounded buffer. A scanner keeps its place between windows; one instance reads one file once, from its start.
/// </summary>
public interface IFrameScanner
{
    /// <summary>
    /// Adds to <paramref name="split"/> every frame that lies whole in <paramref name="window"/>, and counts what is
    /// skipped.
    /// </summary>
    /// <param name="window">The file's bytes from <paramref name="windowOffset"/> on, as many as are in hand.</param>
    /// <param name="windowOffset">Where the window starts in the file.</param>
    /// <param name="final">True when the window reaches the end of the file.</param>
    /// <param name="split">Receives the frames, with slices of <paramref name="window"/>: use them before the window moves.</param>
    /// <returns>
    /// How many bytes of the window are done with. The next window must start there; when that is not the whole
    /// window, the scanner needs what follows to go on (a frame runs past the end of this one).
    /// </returns>
    int Scan(ReadOnlyMemory<byte> window, long windowOffset, bool final, FrameSplit split);
}
