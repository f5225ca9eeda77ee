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

    public static Option<int> MaxFrameBytes()
    {
        var option = new Option<int>("--max-frame-bytes")
        {
            Description = "Largest frame to rebuild; larger ones are dropped and counted (default 16 MiB, the most RTP/JPEG carries).",
            DefaultValueFactory = _ => Rtsp.Jpeg.RtpJpegCompatibility.MaxFrameBytes,
        };
        option.Validators.Add(r =>
        {
            if (r.GetValue(option) is < 1024 or > Rtsp.Jpeg.RtpJpegCompatibility.MaxFrameBytes)
            {
                r.AddError($"--max-frame-bytes must be between 1024 and {Rtsp.Jpeg.RtpJpegCompatibility.MaxFrameBytes}.");
            }
        });
        return option;
    }

    /// <summary>The client's options; its warnings go to standard error, one line each.</summary>
    public static RtspClientOptions ClientOptions(CliConsole console, string transport, double timeoutSeconds, int maxFrameBytes = Rtsp.Jpeg.RtpJpegCompatibility.MaxFrameBytes) => new()
    {
        MaxFrameBytes = maxFrameBytes,
        Transport = transport == "tcp" ? RtspTransport.Tcp : RtspTransport.Udp,
        RequestTimeout = TimeSpan.FromSeconds(timeoutSeconds),
        ConnectTimeout = TimeSpan.FromSeconds(timeoutSeconds),
        Warning = message => console.Error.WriteLine($"grpcstream: warning: {message}"),
    };
}
