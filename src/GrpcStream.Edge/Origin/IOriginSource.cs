using GrpcStream.Protos.Origin.V1;

namespace GrpcStream.Edge.Origin;

/// <summary>
/// Where the edge's streams come from, as the hubs see it: a description and a flow of frames by name. The gRPC
/// link to the origins (<see cref="OriginLink"/>, with its failover, breakers and retries) is one; a unit test's
/// fake is another, so that a hub is tested on a fake clock without a socket.
/// </summary>
internal interface IOriginSource
{
    /// <summary>The stream's description.</summary>
    /// <exception cref="StreamNotFoundException">No origin has it.</exception>
    /// <exception cref="OriginUnavailableException">An origin that might have it did not answer.</exception>
    Task<StreamDescription> DescribeAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Delivers the stream's frames to <paramref name="onFrame"/> until cancelled, riding out every failure. The
    /// frame handed over is valid during the call only.
    /// </summary>
    Task WatchAsync(string name, Action<OriginFrame> onFrame, CancellationToken cancellationToken);

    /// <summary>Whether a watched stream is receiving frames now, as far as the source knows.</summary>
    bool IsReceiving(string name);
}
