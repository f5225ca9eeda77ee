using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace GrpcStream.IntegrationTests;

/// <summary>One of the project's services running as a child process, as a user would start it.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServiceProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _output.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _output.Enqueue("stderr: " + e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public IReadOnlyCollection<string> Output => _output;

    public bool HasExited => _process.HasExited;

    /// <summary>The process id, to read its memory from /proc.</summary>
    public int Id => _process.Id;

    public int ExitCode => _process.ExitCode;

    public static string DllOf(string service) =>
        typeof(ServiceProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == service + "Dll").Value!;

    /// <param name="service">"Origin", "Edge" or "Cli".</param>
    /// <param name="arguments">Its command line.</param>
    /// <param name="environment">Extra environment variables.</param>
    /// <param name="launcher">A command that runs dotnet with the service (prlimit with its options, say), replacing itself.</param>
    public static ServiceProcess Start(string service, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string[]? launcher = null)
    {
        var start = new ProcessStartInfo(launcher is { Length: > 0 } ? launcher[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (launcher is { Length: > 0 })
        {
            foreach (var argument in launcher.Skip(1))
            {
                start.ArgumentList.Add(argument);
            }

            start.ArgumentList.Add("dotnet");
        }

        start.ArgumentList.Add(DllOf(service));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return new ServiceProcess(Process.Start(start) ?? throw new InvalidOperationException($"{service} did not start."));
    }

    /// <summary>Waits until <paramref name="url"/> answers 200 over HTTP/1.1, or fails with what the service printed.</summary>
    public async Task WaitHealthyAsync(string url, TimeSpan? timeout = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                Assert.Fail($"The service exited with {_process.ExitCode}:\n{string.Join('\n', _output)}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(url), TestContext.Current.CancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                // Slow to answer while starting.
            }

            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"{url} did not become healthy:\n{string.Join('\n', _output)}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // exited: returns once the output readers have read to the end
        return _process.ExitCode;
    }

    /// <summary>Kills the service at once (SIGKILL), as a crash would, and waits until it is gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    /// <summary>Asks the service to stop as an orchestrator would (SIGTERM).</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Terminate();
            try
            {
                await WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}
