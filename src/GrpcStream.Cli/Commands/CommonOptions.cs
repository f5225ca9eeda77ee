using System.CommandLine;
using GrpcStream.Rtsp.Client;

namespace GrpcStream.Cli.Commands;

/// <summary>The arguments and options several commands share.</summary>
internal static class CommonOptions
{
    public static Argument<string> Url() => new("url") { Description = "The stream's rtsp:// URL (user:password@ for servers that ask)." };

    public static Option<double> Timeout() => new("--timeout")
    {
        Description = "Seconds to wait for the server's answers.",
        DefaultValueFactory = _ => 10,
    };

    public static Option<string> Transport() => new Option<string>("--transport", "-t")
    {
        Description = "How RTP arrives: udp or tcp (interleaved on the RTSP connection).",
        DefaultValueFactory = _ => "udp",
    }.AcceptOnlyFromAmong("udp", "tcp");

    /// <summary>The client's options; its warnings go to standard error, one line each.</summary>
    public static RtspClientOptions ClientOptions(CliConsole console, string transport, double timeoutSeconds) => new()
    {
        Transport = transport == "tcp" ? RtspTransport.Tcp : RtspTransport.Udp,
        RequestTimeout = TimeSpan.FromSeconds(timeoutSeconds),
        ConnectTimeout = TimeSpan.FromSeconds(timeoutSeconds),
        Warning = message => console.Error.WriteLine($"grpcstream: warning: {message}"),
    };
}
