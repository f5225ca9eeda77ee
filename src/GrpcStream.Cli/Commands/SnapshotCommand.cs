using System.CommandLine;
using System.Globalization;
using GrpcStream.Rtsp.Client;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Cli.Output;

namespace GrpcStream.Cli.Commands;

/// <summary>
/// <c>grpcstream snapshot URL -o FILE</c>: one frame, over RTSP (any server: SETUP, PLAY, the first whole frame,
/// TEARDOWN) or HTTP (a snapshot URL, or the first part of an MJPEG stream), saved as a JPEG file.
/// </summary>
internal static class SnapshotCommand
{
    public static Command Create(CliConsole console)
    {
        var url = new Argument<string>("url") { Description = "rtsp://, rtsps://, http:// or https:// (user:password@ for servers that ask)." };
        var output = new Option<string>("--output", "-o") { Description = "The JPEG file to write.", Required = true };
        var command = new Command("snapshot", "Take one frame of a stream, over RTSP or HTTP, and save it as a JPEG file.") { url, output };
        var client = ClientOptionSet.AddTo(command, media: true);
        command.SetAction((result, cancellationToken) => CommandErrors.RunAsync(console, () => RunAsync(
            console,
            result.GetValue(url)!,
            result.GetValue(output)!,
            client.Build(result, console),
            cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string url, string output, RtspPlayerOptions options, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("rtsp" or "rtsps" or "http" or "https"))
        {
            throw new CliUsageException($"not an rtsp://, rtsps://, http:// or https:// URL: {url}");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout * 2);
        byte[] jpeg;
        try
        {
            jpeg = uri.Scheme is "http" or "https"
                ? await HttpFrameClient.GetFrameAsync(uri, options.UserName, options.Password, options.MaxFrameBytes, options.TlsCaPath, options.AcceptAnyCertificate, timeout.Token)
                : await FirstRtspFrameAsync(url, options, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no frame within {(options.RequestTimeout * 2).TotalSeconds:0.#} s");
        }

        await File.WriteAllBytesAsync(output, jpeg, cancellationToken);
        var size = JpegParser.TryParse(jpeg, out var info) ? string.Create(CultureInfo.InvariantCulture, $"{info.Width}x{info.Height} ") : string.Empty;
        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"saved a {size}JPEG of {jpeg.Length} bytes to {output}"));
        return ExitCodes.Success;
    }

    private static async Task<byte[]> FirstRtspFrameAsync(string url, RtspPlayerOptions options, CancellationToken cancellationToken)
    {
        await using var player = new RtspPlayer(url, options);
        await player.PlayAsync(cancellationToken);
        await foreach (var frame in player.ReadFramesAsync(cancellationToken))
        {
            await player.TeardownAsync(cancellationToken);
            return frame.Jpeg;
        }

        throw new CliFailureException("the stream ended before its first frame", ExitCodes.Failure);
    }
}
