using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcStream.Origin.Catalogue;
using GrpcStream.Origin.Live;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Origin.Diagnostics;

namespace GrpcStream.Origin.Grpc;

/// <summary>The <c>grpcstream.origin.v1.OriginControl</c> service: who watches what, and a rescan on demand.</summary>
internal sealed class OriginControlService(StreamCatalogue catalogue, LiveChannelHub hub, ILogger<OriginControlService> logger)
    : OriginControl.OriginControlBase
{
    public override Task<ListSubscribersResponse> ListSubscribers(ListSubscribersRequest request, ServerCallContext context)
    {
        var response = new ListSubscribersResponse();
        response.Subscribers.AddRange(hub.Subscribers
            .Where(s => request.Stream.Length == 0 || s.Stream == request.Stream)
            .Select(s => new SubscriberInfo
            {
                Peer = s.Peer,
                Stream = s.Stream,
                Since = Timestamp.FromDateTimeOffset(s.Since),
                FramesSent = (ulong)s.FramesSent,
                FramesDropped = (ulong)s.DroppedFrames,
            }));
        return Task.FromResult(response);
    }

    public override async Task<RescanResponse> Rescan(RescanRequest request, ServerCallContext context)
    {
        OriginLog.RescanAsked(logger, context.Peer);
        await catalogue.RefreshAsync(context.CancellationToken).ConfigureAwait(false);
        return new RescanResponse { Streams = (uint)catalogue.Streams.Count };
    }
}
