namespace GrpcStream.Cli.Output;

/// <summary>Where a command reads and writes: the real console, or a test's buffers.</summary>
public sealed record CliConsole(TextReader In, TextWriter Out, TextWriter Error, bool IsInteractive)
{
    public static CliConsole System => new(global::System.Console.In, global::System.Console.Out, global::System.Console.Error, !global::System.Console.IsOutputRedirected);
}
