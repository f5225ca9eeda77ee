using System.Diagnostics;
using System.Text;

namespace GrpcStream.Testing;

/// <summary>
/// A real ffmpeg playing an RTSP URL into nothing (<c>-f null</c>) until it is stopped or the server ends its
/// session: for tests about what a server does to its players.
/// </summary>
public sealed class FfmpegPlayer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly Task _reading;

    private FfmpegPlayer(Process process)
    {
        _process = process;
        _reading = ReadLogAsync();
    }

    /// <summary>What ffmpeg printed (its errors and final statistics).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts ffmpeg on <paramref name="url"/> over <paramref name="transport"/> ("udp" or "tcp").</summary>
    /// <param name="url">What to play.</param>
    /// <param name="transport">"udp" or "tcp".</param>
    /// <param name="output">Where the frames go: nothing (<c>-f null -</c>) unless given.</param>
    public static FfmpegPlayer Start(string url, string transport, params string[] output)
    {
        var start = new ProcessStartInfo(ExternalTool.Require("ffmpeg")) { RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in (string[])["-hide_banner", "-nostats", "-loglevel", "info", "-rtsp_transport", transport, "-i", url, .. output.Length > 0 ? output : ["-f", "null", "-"]])
        {
            start.ArgumentList.Add(argument);
        }

        return new FfmpegPlayer(Process.Start(start) ?? throw new InvalidOperationException("ffmpeg did not start."));
    }

    /// <summary>Waits until ffmpeg has ended by itself; fails after <paramref name="timeout"/>.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"ffmpeg still running after {timeout.TotalSeconds:0.#} s:\n{Log}");
        }
    }

    /// <summary>Asks ffmpeg to finish as a user would (the q key): it writes out what it has and exits; returns its exit code.</summary>
    public async Task<int> QuitAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            await _process.StandardInput.WriteAsync('q');
            await _process.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
        }

        await WaitForExitAsync(timeout);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        await _reading;
        _process.Dispose();
    }

    private async Task ReadLogAsync()
    {
        while (await _process.StandardError.ReadLineAsync() is { } line)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
