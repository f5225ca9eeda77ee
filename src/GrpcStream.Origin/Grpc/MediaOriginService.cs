using Grpc.Core;
using GrpcStream.Origin.Catalogue;
using GrpcStream.Origin.Diagnostics;
using GrpcStream.Origin.Settings;
using GrpcStream.Origin.Live;
using GrpcStream.Origin.Publishing;
using GrpcStream.Protos.Origin.V1;
using Microsoft.Extensions.Options;
using GrpcStream.Shared;

namespace GrpcStream.Origin.Grpc;

/// <summary>The <c>grpcstream.origin.v1.MediaOrigin</c> service.</summary>
internal sealed class MediaOriginService(
    StreamCatalogue catalogue,
    LiveChannelHub hub,
    PublishedStreams published,
    PublishedFrameCheck frameCheck,
    Storage.FrameCache cache,
    OriginMetrics metrics,
    TimeProvider time,
    IOptions<OriginOptions> options,
    ILogger<MediaOriginService> logger)
    : MediaOrigin.MediaOriginBase
{
    public override Task<ListStreamsResponse> ListStreams(ListStreamsRequest request, ServerCallContext context)
    {
        var response = new ListStreamsResponse();
        response.Streams.AddRange(catalogue.Streams.Select(stream => StreamDescriptions.Describe(stream, options.Value.PlaybackOf(stream.Name))));
        response.Streams.AddRange(published.Streams.Select(StreamDescriptions.Describe));
        return Task.FromResult(response);
    }

    public override async Task<StreamDescription> DescribeStream(DescribeStreamRequest request, ServerCallContext context)
    {
        if (FindPublished(request.Name) is { } live)
        {
            return StreamDescriptions.Describe(live);
        }

        var stream = await FindAsync(request.Name, context.CancellationToken);
        return StreamDescriptions.Describe(stream, options.Value.PlaybackOf(stream.Name));
    }

    public override async Task ReadFrames(ReadFramesRequest request, IServerStreamWriter<Frame> responseStream, ServerCallContext context)
    {
        if (FindPublished(request.Name) is not null)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"Stream '{request.Name}' is live: it has no frames by index (watch it)."));
        }

        var stream = await FindAsync(request.Name, context.CancellationToken);
        var limits = options.Value.OnDemand;
        var maxFrames = request.MaxFrames is > 0 and var asked ? Math.Min((int)Math.Min(asked, int.MaxValue), limits.MaxFramesPerRead) : limits.MaxFramesPerRead;
        var maxBytes = request.MaxBytes is > 0 and var askedBytes ? Math.Min((long)Math.Min(askedBytes, long.MaxValue), limits.MaxBytesPerRead) : limits.MaxBytesPerRead;
        var clock = new LiveClock(stream.FrameRate);
        long bytes = 0;
        var sent = 0;
        for (var index = request.FirstIndex; index < (ulong)stream.Index.Count && sent < maxFrames; index++)
        {
            if (stream.ReadFrame((int)index, cache) is not { } jpeg)
            {
                // Its file changed since it was indexed: the rescan replaces the stream, and the edge asks again.
                throw new RpcException(new Status(StatusCode.Unavailable, $"Stream '{stream.Name}' changed on disk; it is being indexed again."));
            }

            // At least one frame, whatever its size: a run must move the reader on.
            if (sent > 0 && bytes + jpeg.Length > maxBytes)
            {
                break;
            }

            await responseStream.WriteAsync(new Frame { Sequence = index, Pts90Khz = clock.Pts90kHz(index), Jpeg = jpeg, SourceIndex = (uint)index }, context.CancellationToken);
            bytes += jpeg.Length;
            sent++;
        }

        metrics.FramesRead(stream.Name, sent, bytes);
    }

    public override async Task WatchFrames(WatchFramesRequest request, IServerStreamWriter<Frame> responseStream, ServerCallContext context)
    {
        var live = FindPublished(request.Name);
        var stream = live is null ? await FindAsync(request.Name, context.CancellationToken) : null;
        var name = live?.Name ?? stream!.Name;
        ulong? resumeAfter = request.HasResumeAfterSequence ? request.ResumeAfterSequence : null;
        OriginLog.WatchStarted(logger, context.Peer, name, resumeAfter?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none");

        Subscriber subscriber;
        try
        {
            subscriber = live is not null ? hub.Subscribe(live, resumeAfter, context.Peer) : hub.Subscribe(stream!, resumeAfter, context.Peer);
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
            OriginLog.WatchEnded(logger, context.Peer, name, sent, subscriber.DroppedFrames);
        }
    }

    public override async Task<PublishSummary> PublishFrames(IAsyncStreamReader<PublishRequest> requestStream, ServerCallContext context)
    {
        var start = await requestStream.MoveNext(context.CancellationToken) && requestStream.Current.MessageCase == PublishRequest.MessageOneofCase.Start
            ? requestStream.Current.Start
            : throw Refuse(StatusCode.InvalidArgument, "bad_start", context.Peer, string.Empty, "a publish call starts with one PublishStart message naming the stream");
        if (StreamName.CheckPublished(start.Name, options.Value.Publish.Prefix) is { } problem)
        {
            throw Refuse(StatusCode.InvalidArgument, "bad_name", context.Peer, start.Name, $"Invalid name '{start.Name}' to publish: {problem}.");
        }

        if (!double.IsFinite(start.FrameRate) || start.FrameRate <= 0 || start.FrameRate > OriginOptionsValidator.MaxFrameRate)
        {
            throw Refuse(StatusCode.InvalidArgument, "bad_start", context.Peer, start.Name, $"the frame rate must be above 0 and at most {OriginOptionsValidator.MaxFrameRate} (was {start.FrameRate})");
        }

        PublishedStream stream;
        try
        {
            stream = published.Begin(start.Name, start.FrameRate);
        }
        catch (PublisherConflictException ex)
        {
            OriginLog.PublishRefused(logger, context.Peer, start.Name, ex.Message);
            throw new RpcException(new Status(StatusCode.AlreadyExists, ex.Message));
        }
        catch (PublisherLimitException ex)
        {
            OriginLog.PublishRefused(logger, context.Peer, start.Name, ex.Message);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, ex.Message));
        }

        var summary = new PublishSummary();
        try
        {
            // The response headers say "accepted": a publisher (an edge answering ANNOUNCE) may wait for them. A
            // refusal is a trailers-only answer, which has no such header.
            await context.WriteResponseHeadersAsync(new Metadata { { OriginContract.PublishAcceptedHeader, "1" } });
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                if (requestStream.Current.MessageCase != PublishRequest.MessageOneofCase.Jpeg)
                {
                    throw Refuse(StatusCode.InvalidArgument, "bad_start", context.Peer, start.Name, "only the first message of a publish call is a PublishStart; the others are frames");
                }

                var (jpeg, info) = frameCheck.Check(requestStream.Current.Jpeg);
                var sequence = stream.Publish(jpeg, info, time.GetUtcNow());
                summary.FirstSequence = summary.Frames == 0 ? sequence : summary.FirstSequence;
                summary.LastSequence = sequence;
                summary.Frames++;
            }
        }
        catch (PublishedFrameException ex)
        {
            metrics.PublishedFrameRefused(start.Name, ex.Reason);
            var message = $"frame {summary.Frames + 1} refused: {ex.Message}";
            OriginLog.PublishRefused(logger, context.Peer, start.Name, message);
            throw new RpcException(new Status(ex.Status, message));
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
        {
            // gRPC refused a message over the service's receive limit before it was read.
            metrics.PublishedFrameRefused(start.Name, "too_large");
            OriginLog.PublishRefused(logger, context.Peer, start.Name, ex.Status.Detail);
            throw;
        }
        catch (IOException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The publisher went away mid-message: the stream is held for it below.
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The publisher went away: the stream is held for it below.
        }
        finally
        {
            published.End(stream);
        }

        return summary;
    }

    private RpcException Refuse(StatusCode status, string reason, string peer, string name, string message)
    {
        metrics.PublishRefused(reason);
        OriginLog.PublishRefused(logger, peer, name, message);
        return new RpcException(new Status(status, message));
    }

    // Path-like names are published streams; file streams never have a '/'.
    private PublishedStream? FindPublished(string name)
    {
        if (!StreamName.IsPathLike(name))
        {
            return null;
        }

        return StreamName.CheckPathLike(name) is { } problem
            ? throw new RpcException(new Status(StatusCode.InvalidArgument, $"Invalid stream name '{name}': {problem}."))
            : published.Find(name) ?? throw new RpcException(new Status(StatusCode.NotFound, $"Stream '{name}' not found."));
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
