using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using GrpcStream.Cli.Output;

namespace GrpcStream.Cli.Commands;

/// <summary>
/// <c>grpcstream hash-password</c>: prints a password hashed for <c>Edge:Auth:Users:N:Password</c>, in MediaMTX's
/// formats (argon2id PHC string, or base64 SHA-256), so the configuration need not hold it in clear.
/// </summary>
internal static class HashPasswordCommand
{
    public static Command Create(CliConsole console)
    {
        var sha256 = new Option<bool>("--sha256") { Description = "A sha256: hash instead of argon2: (fast to check, and so fast to guess: use only for long random passwords)." };
        var command = new Command("hash-password", $"Hash a password for Edge:Auth:Users:N:Password. The password comes from {CommonOptions.PasswordVariable}, standard input, or a prompt. Hashed passwords work with Basic only (RTSPS, or Edge:Auth:Methods=basic,digest).") { sha256 };
        command.SetAction((result, _) => CommandErrors.RunAsync(console, async () =>
        {
            var password = await ReadPasswordAsync(console);
            if (password.Length == 0)
            {
                throw new CliUsageException("the password is empty.");
            }

            await console.Out.WriteLineAsync(result.GetValue(sha256)
                ? "sha256:" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(password)))
                : "argon2:" + Isopoh.Cryptography.Argon2.Argon2.Hash(password));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task<string> ReadPasswordAsync(CliConsole console)
    {
        if (Environment.GetEnvironmentVariable(CommonOptions.PasswordVariable) is { } fromEnvironment)
        {
            return fromEnvironment;
        }

        if (!console.IsInteractive || !ReferenceEquals(console.In, Console.In) || Console.IsInputRedirected)
        {
            return (await console.In.ReadLineAsync())?.TrimEnd('\r') ?? string.Empty;
        }

        return ClientOptionSet.Prompt(console, "Password: ");
    }
}
