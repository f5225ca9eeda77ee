using System.Diagnostics;

namespace GrpcStream.Testing;

/// <summary>
/// GStreamer's RTSP server (gst-rtsp-server through python3-gi) serving JPEG files as one shared live stream at
/// rtsp://127.0.0.1:PORT/test: a server nobody here wrote, for client interop tests.
/// </summary>
public sealed class GStreamerRtspServer : IDisposable
{
    private readonly Process _process;

    private GStreamerRtspServer(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    /// <summary>The server's process, for measuring it.</summary>
    public int ProcessId => _process.Id;

    /// <param name="framePattern">A multifilesrc pattern such as /dir/frame%d.jpg.</param>
    /// <param name="auth">Optionally "basic" or "digest", a user name and a password.</param>
    public static async Task<GStreamerRtspServer> StartAsync(string framePattern, params string[] auth)
    {
        const string Python = "/usr/bin/python3";
        const string Probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer";
        var available = false;
        if (File.Exists(Python) && Process.Start(new ProcessStartInfo(Python, ["-c", Probe]) { RedirectStandardError = true, RedirectStandardOutput = true }) is { } check)
        {
            await check.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await check.WaitForExitAsync(TestContext.Current.CancellationToken);
            available = check.ExitCode == 0;
        }

        if (!available)
        {
            var reason = "GStreamer's RTSP server for Python is not installed (Debian packages gir1.2-gst-rtsp-server-1.0, python3-gi).";
            if (Environment.GetEnvironmentVariable(ExternalTool.RequireVariable) == "1")
            {
                Assert.Fail(reason);
            }

            Assert.Skip(reason);
        }

        var port = FreePorts.Tcp();

        // Standard error is left alone: GStreamer can write a lot there, and an unread pipe would stall the server.
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "gst_rtsp_server.py"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), "/test", framePattern }.Concat(auth))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line != "ready")
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the GStreamer RTSP server did not start: {line}");
        }

        return new GStreamerRtspServer(process, $"rtsp://127.0.0.1:{port}/test");
    }

    public void Dispose()
    {
        _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
