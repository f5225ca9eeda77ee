using System.Net.Sockets;
using GrpcStream.Rtsp.Client;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Cli.Output;

namespace GrpcStream.Cli.Commands;

/// <summary>Turns failures into one line on standard error and the matching exit code.</summary>
internal static class CommandErrors
{
    public static async Task<int> RunAsync(CliConsole console, Func<Task<int>> command)
    {
        try
        {
            return await command();
        }
        catch (Exception ex) when (Describe(ex) is { } failure)
        {
            await console.Error.WriteLineAsync($"grpcstream: {Printable.Line(failure.Message)}");
            return failure.ExitCode;
        }
    }

    public static (string Message, int ExitCode)? Describe(Exception exception) => exception switch
    {
        CliFailureException e => (e.Message, e.ExitCode),
        RtspStatusException e => (e.Message, ExitCodes.RtspError),
        HttpStatusException e => (e.Message, ExitCodes.RtspError),
        HttpFrameException e => ($"the server broke the protocol: {e.Message}", ExitCodes.ProtocolError),
        HttpRequestException e => ($"cannot connect: {e.Message}", ExitCodes.ConnectionFailed),
        Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Unauthenticated or Grpc.Core.StatusCode.PermissionDenied } e => ($"the control API refused the call: {e.Status.Detail}", ExitCodes.ControlRefused),
        Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Unavailable } e => ($"cannot reach the control API: {e.Status.Detail}", ExitCodes.ConnectionFailed),
        Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.DeadlineExceeded } e => ($"the control API did not answer in time: {e.Status.Detail}", ExitCodes.Timeout),
        Grpc.Core.RpcException e => ($"{e.StatusCode}: {e.Status.Detail}", ExitCodes.Failure),
        CliUsageException e => (e.Message, ExitCodes.Usage),
        RtspProtocolException e => ($"the server broke the protocol: {e.Message}", ExitCodes.ProtocolError),
        TimeoutException e => (e.Message, ExitCodes.Timeout),
        SocketException e => ($"cannot connect: {e.Message}", ExitCodes.ConnectionFailed),
        IOException e => ($"connection lost: {e.Message}", ExitCodes.ConnectionFailed),
        RtspTlsException e => ($"{e.Message} (--ca FILE to trust a private CA, --insecure to skip the check)", ExitCodes.Failure),
        RtspClientException e => (e.Message, ExitCodes.Failure),
        UnauthorizedAccessException e => (e.Message, ExitCodes.Failure),
        _ => null,
    };
}

/// <summary>A command's own failure: its one-line message and its exit code.</summary>
internal sealed class CliFailureException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
