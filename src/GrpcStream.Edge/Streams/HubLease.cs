namespace GrpcStream.Edge.Streams;

/// <summary>
/// A use of a stream's feed, taken by <see cref="StreamHubRegistry.Acquire"/>: either handed to the session that
/// now owns it (<see cref="Take"/>), or given back when disposed. A SETUP that fails halfway, by an exception or
/// a closed connection, gives its hub back by leaving its <c>using</c> block.
/// </summary>
internal sealed class HubLease(IStreamFeed feed) : IDisposable
{
    private IStreamFeed? _feed = feed;

    public IStreamFeed Feed => _feed ?? throw new ObjectDisposedException(nameof(HubLease));

    /// <summary>Hands the feed over; its release is now the taker's (<see cref="IStreamFeed.Release"/>).</summary>
    public IStreamFeed Take()
    {
        var taken = Feed;
        _feed = null;
        return taken;
    }

    public void Dispose()
    {
        _feed?.Release();
        _feed = null;
    }
}
