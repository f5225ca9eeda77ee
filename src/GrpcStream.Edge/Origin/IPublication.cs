namespace GrpcStream.Edge.Origin;

/// <summary>
/// A stream on its way into the origins, as a publisher's session sees it: frames offered, a refusal once there is
/// one, and an end. <see cref="OriginPublication"/> is the gRPC one; a unit test's fake records what is offered.
/// </summary>
internal interface IPublication : IAsyncDisposable
{
    /// <summary>Why the publication ended (a refusal), once it has; null while it goes on.</summary>
    Grpc.Core.Status? Failure { get; }

    /// <summary>Queues a whole frame (copied: the caller reuses its buffer); false once the publication has ended.</summary>
    bool Offer(ReadOnlySpan<byte> jpeg);
}
