using Grpc.Core;
using GrpcStream.Origin.Catalogue;
using GrpcStream.Origin.Live;
using GrpcStream.Protos.Origin.V1;

namespace GrpcStream.Origin.Grpc;

/// <summary>The <c>grpcstream.origin.v1.MediaOrigin</c> service.</summary>
internal sealed class MediaOriginService(StreamCatalogue catalogue, LiveChannelHub hub, ILogger<MediaOriginService> logger)
    : MediaOrigin.MediaOriginBase
{
    public override Task<ListStreamsResponse> ListStreams(ListStreamsRequest request, ServerCallContext context)
    {
        var response = new ListStreamsResponse();
        response.Streams.AddRange(catalogue.Streams.Select(StreamDescriptions.Describe));
        return Task.FromResult(response);
    }

    public override async Task<StreamDescription> DescribeStream(DescribeStreamRequest request, ServerCallContext context)
    {
        var stream = await FindAsync(request.Name, context.CancellationToken);
        return StreamDescriptions.Describe(stream);
    }

    public override async Task WatchFrames(WatchFramesRequest request, IServerStreamWriter<Frame> responseStream, ServerCallContext context)
    {
        var stream = await FindAsync(request.Name, context.CancellationToken);
        ulong? resumeAfter = request.HasResumeAfterSequence ? request.ResumeAfterSequence : null;
        OriginLog.WatchStarted(logger, context.Peer, stream.Name, resumeAfter?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none");

        Subscriber subscriber;
        try
        {
            subscriber = hub.Subscribe(stream, resumeAfter, context.Peer);
        }
        catch (SubscriberLimitException ex)
        {
            // "Not now": the edge backs off and tries again.
            throw new RpcException(new Status(StatusCode.ResourceExhausted, ex.Message));
        }

        long sent = 0;
        try
        {
            await foreach (var frame in subscriber.Frames.ReadAllAsync(context.CancellationToken))
            {
                await responseStream.WriteAsync(frame, context.CancellationToken);
                subscriber.Sent();
                sent++;
            }
        }
        catch (StreamRemovedException ex)
        {
            throw new RpcException(new Status(StatusCode.NotFound, ex.Message));
        }
        catch (OriginStoppingException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The subscriber went away: nothing to report to it.
        }
        finally
        {
            hub.Unsubscribe(subscriber);
            OriginLog.WatchEnded(logger, context.Peer, stream.Name, sent, subscriber.DroppedFrames);
        }
    }

    private async Task<MediaStream> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (StreamName.Check(name) is { } problem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Invalid stream name '{name}': {problem}."));
        }

        return await catalogue.FindAsync(name, cancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"Stream '{name}' not found."));
    }
}
