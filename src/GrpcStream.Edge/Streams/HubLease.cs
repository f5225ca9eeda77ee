namespace GrpcStream.Edge.Streams;

/// <summary>
/// A use of a stream's frame source, taken by <see cref="StreamHubRegistry.Acquire"/>: either handed to the session that
/// now owns it (<see cref="Take"/>), or given back when disposed. A SETUP that fails halfway, by an exception or
/// a closed connection, gives its hub back by leaving its <c>using</c> block.
/// </summary>
internal sealed class HubLease(IFrameSource source) : IDisposable
{
    private IFrameSource? _source = source;

    public IFrameSource Source => _source ?? throw new ObjectDisposedException(nameof(HubLease));

    /// <summary>Hands the source over; its release is now the taker's (<see cref="IFrameSource.Release"/>).</summary>
    public IFrameSource Take()
    {
        var taken = Source;
        _source = null;
        return taken;
    }

    public void Dispose()
    {
        _source?.Release();
        _source = null;
    }
}
