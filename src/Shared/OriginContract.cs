namespace GrpcStream.Shared;

/// <summary>What the origin's gRPC contract says beyond its messages (protos/grpcstream/origin/v1/origin.proto), for both sides of it.</summary>
internal static class OriginContract
{
    /// <summary>The response header of a PublishFrames call the origin accepted; a refusal is trailers-only, without it.</summary>
    public const string PublishAcceptedHeader = "grpcstream-publish-accepted";
}
