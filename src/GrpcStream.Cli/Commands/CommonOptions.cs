using System.CommandLine;
using GrpcStream.Rtsp.Client;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Cli.Output;

namespace GrpcStream.Cli.Commands;

/// <summary>The arguments and options several commands share.</summary>
internal static class CommonOptions
{
    /// <summary>Where <c>--user</c> takes its password from, so that it is not in the command line (and ps).</summary>
    public const string PasswordVariable = "GRPCSTREAM_PASSWORD";

    public static Argument<string> Url() => new("url") { Description = "The stream's rtsp:// or rtsps:// URL (user:password@ for servers that ask)." };

    public static Option<double> Timeout() => new("--timeout")
    {
        Description = "Seconds to wait for the server's answers.",
        DefaultValueFactory = _ => 10,
    };

    public static Option<string> Transport() => new Option<string>("--transport", "-t")
    {
        Description = "How RTP arrives: udp or tcp (interleaved on the RTSP connection; always so for rtsps://).",
        DefaultValueFactory = _ => "udp",
    }.AcceptOnlyFromAmong("udp", "tcp");

    public static Option<int> MaxFrameBytes()
    {
        var option = new Option<int>("--max-frame-bytes")
        {
            Description = "Largest frame to rebuild; larger ones are dropped and counted (default 16 MiB, the most RTP/JPEG carries).",
            DefaultValueFactory = _ => RtpJpegCompatibility.MaxFrameBytes,
        };
        option.Validators.Add(r =>
        {
            if (r.GetValue(option) is < 1024 or > RtpJpegCompatibility.MaxFrameBytes)
            {
                r.AddError($"--max-frame-bytes must be between 1024 and {RtpJpegCompatibility.MaxFrameBytes}.");
            }
        });
        return option;
    }
}

/// <summary>
/// The client's options on a command line: how to connect (timeout, TLS trust, user) and, for commands that
/// receive media, the transport and the frame limit.
/// </summary>
internal sealed class ClientOptionSet
{
    private readonly Option<double> _timeout = CommonOptions.Timeout();
    private readonly Option<string>? _transport;
    private readonly Option<int>? _maxFrameBytes;
    private readonly Option<string?> _ca = new("--ca") { Description = "For rtsps://: a PEM file of CA certificates to trust (a private CA)." };
    private readonly Option<bool> _insecure = new("--insecure") { Description = "For rtsps://: accept any server certificate (still encrypted, but not authenticated)." };
    private readonly Option<string?> _user = new("--user", "-u") { Description = $"The user to log in as; the password comes from {CommonOptions.PasswordVariable}, or is asked for on a terminal." };

    private ClientOptionSet(bool media)
    {
        if (media)
        {
            _transport = CommonOptions.Transport();
            _maxFrameBytes = CommonOptions.MaxFrameBytes();
        }
    }

    /// <summary>Adds the options to <paramref name="command"/>; <paramref name="media"/> adds the transport and frame limit.</summary>
    public static ClientOptionSet AddTo(Command command, bool media)
    {
        var set = new ClientOptionSet(media);
        command.Options.Add(set._timeout);
        if (media)
        {
            command.Options.Add(set._transport!);
            command.Options.Add(set._maxFrameBytes!);
        }

        command.Options.Add(set._ca);
        command.Options.Add(set._insecure);
        command.Options.Add(set._user);
        return set;
    }

    /// <summary>The client's options; its warnings go to standard error, one line each.</summary>
    /// <exception cref="CliUsageException">--user without a password to be had.</exception>
    public RtspPlayerOptions Build(ParseResult result, CliConsole console)
    {
        var timeout = TimeSpan.FromSeconds(result.GetValue(_timeout));
        var user = result.GetValue(_user);
        return new RtspPlayerOptions
        {
            Transport = _transport is not null && result.GetValue(_transport) == "udp" ? RtspTransport.Udp : RtspTransport.Tcp,
            MaxFrameBytes = _maxFrameBytes is null ? RtpJpegCompatibility.MaxFrameBytes : result.GetValue(_maxFrameBytes),
            RequestTimeout = timeout,
            ConnectTimeout = timeout,
            TlsCaPath = result.GetValue(_ca),
            AcceptAnyCertificate = result.GetValue(_insecure),
            UserName = user,
            Password = user is null ? null : Password(console, user),
            Warning = warning => console.Error.WriteLine($"grpcstream: warning: {ClientWarningText.Of(warning)}"),
        };
    }

    private static string Password(CliConsole console, string user)
    {
        if (Environment.GetEnvironmentVariable(CommonOptions.PasswordVariable) is { } password)
        {
            return password;
        }

        if (!console.IsInteractive || !ReferenceEquals(console.In, Console.In) || Console.IsInputRedirected)
        {
            throw new CliUsageException($"--user {user} needs a password: set {CommonOptions.PasswordVariable}, or run on a terminal to be asked.");
        }

        return Prompt(console, $"Password for {user}: ");
    }

    /// <summary>Asks on the terminal without echoing what is typed.</summary>
    public static string Prompt(CliConsole console, string question)
    {
        console.Error.Write(question);
        var typed = new System.Text.StringBuilder();
        while (Console.ReadKey(intercept: true) is var key && key.Key != ConsoleKey.Enter)
        {
            if (key.Key == ConsoleKey.Backspace)
            {
                typed.Length = Math.Max(0, typed.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                typed.Append(key.KeyChar);
            }
        }

        console.Error.WriteLine();
        return typed.ToString();
    }
}

/// <summary>The command line cannot work as given (exit code 2), found only once it runs.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
