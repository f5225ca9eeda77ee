using System.Diagnostics;

namespace GrpcStream.Testing;

/// <summary>
/// Runs real programs (ffmpeg, cjpeg, GStreamer...) from tests. A missing program skips the test with a
/// visible reason, unless GRPCSTREAM_REQUIRE_TOOLS=1 (set by .ci/run), which makes it a failure.
/// </summary>
public static class ExternalTool
{
    public const string RequireVariable = "GRPCSTREAM_REQUIRE_TOOLS";

    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        ["ffmpeg"] = "ffmpeg",
        ["ffprobe"] = "ffmpeg",
        ["cjpeg"] = "libjpeg-turbo-progs",
        ["djpeg"] = "libjpeg-turbo-progs",
        ["jpegtran"] = "libjpeg-turbo-progs",
        ["gst-launch-1.0"] = "gstreamer1.0-tools",
        ["openssl"] = "openssl",
        ["ip"] = "iproute2",
    };

    /// <summary>The full path of <paramref name="name"/>, or the test is skipped (failed under CI) when it is not installed.</summary>
    public static string Require(string name)
    {
        var path = Find(name);
        if (path is not null)
        {
            return path;
        }

        Unavailable($"{name} is not installed (Debian package {Packages.GetValueOrDefault(name, name)}).");
        return name;
    }

    /// <summary>Skips the test for <paramref name="reason"/>, or fails it where <see cref="RequireVariable"/>=1 (CI) asks for everything.</summary>
    public static void Unavailable(string reason)
    {
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
        {
            Assert.Fail($"{reason} {RequireVariable}=1 requires it.");
        }

        Assert.Skip(reason);
    }

    public static string? Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs the tool to completion and returns its standard output; a non-zero exit fails with its standard error.</summary>
    public static async Task<byte[]> RunAsync(string name, IEnumerable<string> arguments, byte[]? input = null, TimeSpan? timeout = null)
    {
        var run = await TryRunAsync(name, arguments, input, timeout);
        return run.ExitCode == 0
            ? run.Output
            : throw new InvalidOperationException($"{name} {string.Join(' ', arguments)} exited with {run.ExitCode}: {run.Error}");
    }

    /// <summary>Runs the tool to completion, whatever its exit code: for a tool expected to fail.</summary>
    public static async Task<(int ExitCode, byte[] Output, string Error)> TryRunAsync(string name, IEnumerable<string> arguments, byte[]? input = null, TimeSpan? timeout = null)
    {
        var path = Require(name);
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start.");
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        var stdout = new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout, cts.Token);
        var readErr = process.StandardError.ReadToEndAsync(cts.Token);
        if (input is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(input, cts.Token);
        }

        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(cts.Token);
            await copyOut;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{name} {string.Join(' ', start.ArgumentList)} did not finish in time.");
        }

        return (process.ExitCode, stdout.ToArray(), await readErr);
    }
}
