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

    /// <summary>
    /// A run of a film's frames by index (the origin's ReadFrames), from the first origin that serves it: at most
    /// <paramref name="maxFrames"/> from <paramref name="firstIndex"/>, fewer at the end of the film. Each frame is
    /// handed to <paramref name="onFrame"/>, valid during the call only.
    /// </summary>
    /// <exception cref="StreamNotFoundException">No origin has it.</exception>
    /// <exception cref="OriginUnavailableException">No origin served the run (the frames handed over before a failure stay good).</exception>
    Task ReadFramesAsync(string name, ulong firstIndex, int maxFrames, Action<OriginFrame> onFrame, CancellationToken cancellationToken);

    /// <summary>Whether a watched stream is receiving frames now, as far as the source knows.</summary>
    bool IsReceiving(string name);
}
