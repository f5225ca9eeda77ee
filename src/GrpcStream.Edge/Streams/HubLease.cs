using GrpcStream.Edge.Sessions;

namespace GrpcStream.Edge.Streams;

/// <summary>
/// A use of a stream hub, taken by <see cref="StreamHubRegistry.Acquire"/>: either handed to the session that
/// now owns it (<see cref="Take"/>), or given back when disposed. A SETUP that fails halfway, by an exception or
/// a closed connection, gives its hub back by leaving its <c>using</c> block.
/// </summary>
internal sealed class HubLease(StreamHub hub) : IDisposable
{
    private StreamHub? _hub = hub;

    public StreamHub Hub => _hub ?? throw new ObjectDisposedException(nameof(HubLease));

    /// <summary>Hands the hub over; its release is now the taker's (<see cref="IStreamFeed.Release"/>).</summary>
    public IStreamFeed Take()
    {
        var taken = Hub;
        _hub = null;
        return taken;
    }

    public void Dispose()
    {
        _hub?.Release();
        _hub = null;
    }
}
