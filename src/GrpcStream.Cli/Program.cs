using GrpcStream.Cli;
using GrpcStream.Cli.Output;

// `grpcstream bench` is a load generator whose cost per packet limits how hard it can load a server. With this
// switch a socket's completion runs on the thread that polled for it, instead of waking a thread-pool thread per
// read (measured at 200 readers of 640x480: 2.0-2.2 -> 1.6 µs per packet over TCP, 1.8-2.7 -> 1.3-1.5 over UDP).
// .NET reads it once, from the environment, when the process first uses a socket: so here, before any; a value
// the user set wins. Only for bench: the handlers there never block, and other commands gain nothing.
const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (args is ["bench", ..] && Environment.GetEnvironmentVariable(InlineCompletions) is null)
{
    Environment.SetEnvironmentVariable(InlineCompletions, "1");
}

return await CliApp.RunAsync(args, CliConsole.System);
