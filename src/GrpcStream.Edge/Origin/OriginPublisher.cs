using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Origin;

/// <summary>Makes publications into the origins (<see cref="OriginPublication"/>), each with the publish token (<c>Edge:Origin:PublishToken</c>) its origin channels carry.</summary>
internal sealed class OriginPublisher(OriginLink link, IOptions<EdgeOptions> options, EdgeMetrics metrics, ILogger<OriginPublication> logger, TimeProvider time)
{
    private readonly OriginSettings _settings = options.Value.Origin;

    /// <summary>A publication of <paramref name="name"/>, not started yet (<see cref="OriginPublication.Start"/>).</summary>
    public OriginPublication Create(string name, double frameRate, int maxQueuedFrames, TimeSpan closeTimeout, Action onDropped) =>
        new(link, _settings, metrics, logger, time, name, frameRate, maxQueuedFrames, closeTimeout, onDropped);
}
