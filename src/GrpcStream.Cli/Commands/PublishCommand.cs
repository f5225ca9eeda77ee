using System.CommandLine;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Rtsp.Media;

namespace GrpcStream.Cli.Commands;

/// <summary>
/// <c>grpcstream publish SOURCE NAME --origin ADDRESS</c>: a file or folder, in any format the origin reads, published
/// as a live stream straight into an origin over gRPC (PublishFrames), paced at <c>--fps</c>, looped with
/// <c>--loop</c>. Ctrl+C ends the stream cleanly (the origin holds it for its publisher to come back).
/// </summary>
internal static class PublishCommand
{
    public static Command Create(CliConsole console)
    {
        var source = new Argument<string>("source") { Description = "A file (concatenated JPEGs or the length-prefixed format) or a folder of .jpg files." };
        var target = new Argument<string>("name") { Description = "The stream's name on the origin, under its publish prefix (e.g. live/cam1)." };
        var fps = new Option<double>("--fps") { Description = "Frames per second to send.", DefaultValueFactory = _ => 25 };
        var loop = new Option<bool>("--loop") { Description = "Start the source again at its end, until interrupted." };
        var frames = new Option<long?>("--frames", "-n") { Description = "Stop after this many frames." };
        var command = new Command("publish", "Publish a file or folder of JPEG frames as a live stream into an origin (PublishFrames over gRPC).")
        {
            source, target, fps, loop, frames,
        };
        var connection = ControlConnection.AddOriginTo(command);
        command.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, () =>
        {
            var rate = result.GetValue(fps);
            if (!double.IsFinite(rate) || rate <= 0 || rate > 240)
            {
                throw new CliUsageException($"--fps must be above 0 and at most 240 (was {rate.ToString(CultureInfo.InvariantCulture)})");
            }

            MediaSource media;
            try
            {
                media = MediaSource.Open(result.GetValue(source)!);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new CliUsageException(ex.Message);
            }

            var client = new MediaOrigin.MediaOriginClient(connection.Invoker(result));
            return PublishAsync(console, client, media, result.GetValue(target)!, rate, result.GetValue(loop), result.GetValue(frames), TimeProvider.System, cancellationToken);
        }));
        return command;
    }

    private static async Task<int> PublishAsync(
        CliConsole console, MediaOrigin.MediaOriginClient client, MediaSource media, string name, double fps, bool loop, long? limit, TimeProvider time, CancellationToken interrupt)
    {
        // Ctrl+C ends the frames, not the call: the origin is told the stream ended and answers with its summary.
        using var call = client.PublishFrames(cancellationToken: CancellationToken.None);
        var period = TimeSpan.FromSeconds(1 / fps);
        long sent = 0;
        try
        {
            await call.RequestStream.WriteAsync(new PublishRequest { Start = new PublishStart { Name = name, FrameRate = fps } }, CancellationToken.None);
            var started = time.GetTimestamp();
            do
            {
                var before = sent;
                await foreach (var jpeg in media.ReadAsync(interrupt))
                {
                    // Paced on the clock, not by sleeping a period after each send: sending does not slow the rate.
                    // A publisher more than a second late starts its schedule again rather than sending a burst.
                    var due = TimeSpan.FromTicks(period.Ticks * sent) - time.GetElapsedTime(started);
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, time, interrupt);
                    }
                    else if (due < -TimeSpan.FromSeconds(1))
                    {
                        started = time.GetTimestamp() - (long)(period.TotalSeconds * sent * time.TimestampFrequency);
                    }

                    await call.RequestStream.WriteAsync(new PublishRequest { Jpeg = ByteString.CopyFrom(jpeg.Span) }, CancellationToken.None);
                    if (++sent == limit)
                    {
                        break;
                    }
                }

                if (sent == before)
                {
                    throw new CliUsageException($"the source has no frame that can be sent ({media.FirstProblem ?? "it is empty"})");
                }
            }
            while (loop && sent != limit);
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            // Interrupted: the stream ends here.
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException)
        {
            // The origin ended the call (a refusal, or a frame it would not take): its status says why.
            throw Explain(await StatusOfAsync(call) ?? (ex as RpcException)?.Status ?? new Status(StatusCode.Unknown, ex.Message), name);
        }

        PublishSummary summary;
        try
        {
            await call.RequestStream.CompleteAsync();
            summary = await call.ResponseAsync;
        }
        catch (RpcException ex)
        {
            throw Explain(ex.Status, name);
        }

        var skipped = media.Skipped > 0 ? $"; {media.Skipped} frames of the source skipped, first: {media.FirstProblem}" : string.Empty;
        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"published {summary.Frames} frames to {name} (sequences {summary.FirstSequence}..{summary.LastSequence}){skipped}"));
        return ExitCodes.Success;
    }

    private static async Task<Status?> StatusOfAsync(AsyncClientStreamingCall<PublishRequest, PublishSummary> call)
    {
        try
        {
            await call.ResponseAsync;
            return null;
        }
        catch (RpcException ex)
        {
            return ex.Status;
        }
    }

    private static CliFailureException Explain(Status status, string name) => status.StatusCode switch
    {
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => new($"the origin does not let you publish: {status.Detail}", ExitCodes.ControlRefused),
        StatusCode.AlreadyExists => new($"{name} already has a publisher: {status.Detail}", ExitCodes.Failure),
        StatusCode.Unavailable => new($"cannot reach the origin: {status.Detail}", ExitCodes.ConnectionFailed),
        _ => new($"the origin ended the stream: {status.StatusCode}: {status.Detail}", ExitCodes.Failure),
    };
}
