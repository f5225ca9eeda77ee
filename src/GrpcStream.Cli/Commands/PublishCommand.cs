using System.CommandLine;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Rtsp.Media;
using GrpcStream.Cli.Output;

namespace GrpcStream.Cli.Commands;

/// <summary>
/// <c>grpcstream publish SOURCE TARGET</c>: a file or folder, in any format the origin reads, published as a live
/// stream, paced at <c>--fps</c>, looped with <c>--loop</c>: to an RTSP server when TARGET is an rtsp:// URL
/// (ANNOUNCE, SETUP mode=record, RECORD: any edge, or any server that takes publishers), or straight into an origin
/// over gRPC (PublishFrames, <c>--origin</c>) when it is a stream name. Ctrl+C ends the stream cleanly (the origin
/// holds it for its publisher to come back).
/// </summary>
internal static class PublishCommand
{
    public static Command Create(CliConsole console)
    {
        var source = new Argument<string>("source") { Description = "A file (concatenated JPEGs or the length-prefixed format) or a folder of .jpg files." };
        var target = new Argument<string>("target") { Description = "rtsp://host:port/live/cam1 (user:password@ where the server asks), or with --origin the stream's name under the origin's publish prefix (live/cam1)." };
        var fps = new Option<double>("--fps") { Description = "Frames per second to send.", DefaultValueFactory = _ => 25 };
        var loop = new Option<bool>("--loop") { Description = "Start the source again at its end, until interrupted." };
        var frames = new Option<long?>("--frames", "-n") { Description = "Stop after this many frames." };
        var command = new Command("publish", "Publish a file or folder of JPEG frames as a live stream: over RTSP (ANNOUNCE/RECORD) to an rtsp:// URL, or into an origin over gRPC.")
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

            var name = result.GetValue(target)!;
            var pacing = new Pacing(media, rate, result.GetValue(loop), result.GetValue(frames), TimeProvider.System);
            if (name.StartsWith("rtsp://", StringComparison.OrdinalIgnoreCase) || name.StartsWith("rtsps://", StringComparison.OrdinalIgnoreCase))
            {
                return PublishRtspAsync(console, name, new Rtsp.Client.RtspClientOptions { TlsCaPath = result.GetValue(connection.Ca) }, pacing, cancellationToken);
            }

            var client = new MediaOrigin.MediaOriginClient(connection.Invoker(result));
            return PublishAsync(console, client, pacing, name, cancellationToken);
        }));
        return command;
    }

    private static async Task<int> PublishAsync(CliConsole console, MediaOrigin.MediaOriginClient client, Pacing pacing, string name, CancellationToken interrupt)
    {
        // Ctrl+C ends the frames, not the call: the origin is told the stream ended and answers with its summary.
        using var call = client.PublishFrames(cancellationToken: CancellationToken.None);
        try
        {
            await call.RequestStream.WriteAsync(new PublishRequest { Start = new PublishStart { Name = name, FrameRate = pacing.Fps } }, CancellationToken.None);
            await pacing.RunAsync((jpeg, _) => call.RequestStream.WriteAsync(new PublishRequest { Jpeg = ByteString.CopyFrom(jpeg.Span) }, CancellationToken.None), interrupt);
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

        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"published {summary.Frames} frames to {name} (sequences {summary.FirstSequence}..{summary.LastSequence}){pacing.Skipped}"));
        return ExitCodes.Success;
    }

    private static async Task<int> PublishRtspAsync(CliConsole console, string url, Rtsp.Client.RtspClientOptions options, Pacing pacing, CancellationToken interrupt)
    {
        await using var publisher = new Rtsp.Client.RtspPublisher(url, options);
        var first = await pacing.FirstFrameAsync(interrupt);
        await publisher.RecordAsync(pacing.Fps, first.Width, first.Height, interrupt);
        var sent = await pacing.RunAsync(
            async (jpeg, index) =>
            {
                try
                {
                    await publisher.SendFrameAsync(jpeg, (uint)(index * 90_000 / pacing.Fps), CancellationToken.None);
                }
                catch (Rtsp.Jpeg.RtpJpegException ex)
                {
                    throw new CliFailureException($"frame {index + 1} cannot be sent over RTSP as it is ({ex.Reason}); publish it with --origin, where the origin converts it", ExitCodes.Failure);
                }
            },
            interrupt);
        await publisher.TeardownAsync(CancellationToken.None);
        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"published {sent} frames to {publisher.Url}{pacing.Skipped}"));
        return ExitCodes.Success;
    }

    /// <summary>The source's frames on the clock: one every 1/fps, looped or not, at most a number of them.</summary>
    private sealed class Pacing(MediaSource media, double fps, bool loop, long? limit, TimeProvider time)
    {
        public double Fps => fps;

        /// <summary>What the source had that could not be sent, for the summary.</summary>
        public string Skipped => media.Skipped > 0 ? $"; {media.Skipped} frames of the source skipped, first: {media.FirstProblem}" : string.Empty;

        /// <summary>The first frame's size, for an SDP (a=x-dimensions when it needs one).</summary>
        public async Task<(int Width, int Height)> FirstFrameAsync(CancellationToken cancellationToken)
        {
            await foreach (var jpeg in media.ReadAsync(cancellationToken))
            {
                if (Rtsp.Jpeg.JpegParser.TryParse(jpeg.Span, out var info))
                {
                    return ((int)info.Width, (int)info.Height);
                }
            }

            throw new CliUsageException($"the source has no frame that can be sent ({media.FirstProblem ?? "it is empty"})");
        }

        /// <summary>Sends every frame when it is due; returns how many were sent. Ctrl+C ends it without an error.</summary>
        public async Task<long> RunAsync(Func<ReadOnlyMemory<byte>, long, Task> send, CancellationToken interrupt)
        {
            var period = TimeSpan.FromSeconds(1 / fps);
            long sent = 0;
            try
            {
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

                        await send(jpeg, sent);
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

            return sent;
        }
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
