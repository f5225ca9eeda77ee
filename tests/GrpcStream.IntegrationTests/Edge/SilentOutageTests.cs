using System.Diagnostics;
using GrpcStream.IntegrationTests.Network;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge;

/// <summary>
/// The origin link dies without a word (no RST, no ICMP: a cable pulled, a NAT entry dropped) under a playing
/// ffmpeg, and comes back: the player gets the slate on frame silence alone, before the edge notices the link is
/// dead on its own, and the same session plays on.
/// </summary>
public sealed class SilentOutageTests
{
    private const int OriginPort = 50051;
    private const int RtspPort = 8554;

    [Fact]
    public async Task A_link_dead_for_20_s_is_detected_and_the_same_session_resumes_within_seconds()
    {
        IsolatedLink.RequireRoot();
        ExternalTool.Require("ffmpeg");
        await using var link = await IsolatedLink.CreateAsync();
        await using var origin = ServiceProcess.Start("Origin",
            ["--urls", $"http://{IsolatedLink.LeftAddress}:{OriginPort}", "--http-port", "0"],
            launcher: IsolatedLink.Inside(link.Left));
        await Eventually.HoldsAsync(() => origin.Output.Any(l => l.Contains("Origin listening on", StringComparison.Ordinal)), "the origin listening", TimeSpan.FromSeconds(60));
        await using var edge = ServiceProcess.Start("Edge",
            ["--rtsp-port", $"{RtspPort}", "--http-port", "0", "--rtp-port", "0", "--Edge:Control:Port=0", "--origin", $"http://{IsolatedLink.LeftAddress}:{OriginPort}"],
            launcher: IsolatedLink.Inside(link.Right));
        await Eventually.HoldsAsync(() => edge.Output.Any(l => l.Contains("Edge serving RTSP", StringComparison.Ordinal)), "the edge listening", TimeSpan.FromSeconds(60));

        using var player = new StreamingPlayer(link.Right, $"rtsp://127.0.0.1:{RtspPort}/movie.Mjpeg");
        await Eventually.HoldsAsync(() => player.Bytes > 100_000, "ffmpeg playing", TimeSpan.FromSeconds(30));

        await link.SetUpAsync(false);
        var down = Stopwatch.StartNew();

        // The slate comes on frame silence alone, long before the link is declared lost: the player gets its pictures.
        var atCut = player.Bytes;
        await Eventually.HoldsAsync(() => edge.Output.Any(l => l.Contains("its sessions get the slate", StringComparison.Ordinal)), "the slate on frame silence", TimeSpan.FromSeconds(30));
        var slated = down.Elapsed;
        await Eventually.HoldsAsync(() => player.Bytes > atCut + 20_000, "slate frames reaching the player", TimeSpan.FromSeconds(30));
        var slateAtPlayer = down.Elapsed;

        // Nothing is said on a dead link: the edge finds out from its HTTP/2 keepalive pings going unanswered.
        await Eventually.HoldsAsync(() => edge.Output.Any(l => l.Contains("Origin stream movie.Mjpeg lost", StringComparison.Ordinal)), "the edge noticing the dead link", TimeSpan.FromSeconds(30));
        var detected = down.Elapsed;
        var output = edge.Output.ToList();
        Assert.True(
            output.FindIndex(l => l.Contains("its sessions get the slate", StringComparison.Ordinal)) < output.FindIndex(l => l.Contains("Origin stream movie.Mjpeg lost", StringComparison.Ordinal)),
            "the slate started only once the link was declared lost");
        var stalled = player.Bytes;
        if (down.Elapsed < TimeSpan.FromSeconds(20))
        {
            // The outage lasts its 20 s whatever the detection took: this is the scenario, not a wait for an effect.
            await Task.Delay(TimeSpan.FromSeconds(20) - down.Elapsed, TestContext.Current.CancellationToken);
        }

        await link.SetUpAsync(true);
        var up = Stopwatch.StartNew();
        await Eventually.HoldsAsync(() => player.Bytes > stalled + 100_000, "frames after the link came back", TimeSpan.FromSeconds(30));
        var resumed = up.Elapsed;

        // The waits above have their deadlines (a dead link noticed, frames again); how long each took is a
        // measurement of this machine, reported, not asserted.
        TestContext.Current.TestOutputHelper?.WriteLine($"slate after {slated.TotalSeconds:0.0} s (at the player after {slateAtPlayer.TotalSeconds:0.0} s); dead link noticed after {detected.TotalSeconds:0.0} s; frames again {resumed.TotalSeconds:0.0} s after it came back");
        Assert.False(player.HasExited, "ffmpeg gave up: " + player.Errors);
        Assert.Equal(1, edge.Output.Count(l => l.Contains("movie.Mjpeg set up over tcp", StringComparison.Ordinal)));
    }

    /// <summary>ffmpeg inside a namespace, copying the stream's JPEG frames to a pipe the test counts.</summary>
    private sealed class StreamingPlayer : IDisposable
    {
        private readonly Process _ffmpeg;
        private readonly Task _reading;
        private long _bytes;

        public StreamingPlayer(string ns, string url)
        {
            var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in (string[])[.. IsolatedLink.Inside(ns)[1..], "ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-c:v", "copy", "-f", "mjpeg", "pipe:1"])
            {
                start.ArgumentList.Add(argument);
            }

            _ffmpeg = Process.Start(start)!;
            _ffmpeg.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (_ffmpeg) { Errors += e.Data + "\n"; } } };
            _ffmpeg.BeginErrorReadLine();
            _reading = Task.Run(async () =>
            {
                var buffer = new byte[64 * 1024];
                int read;
                while ((read = await _ffmpeg.StandardOutput.BaseStream.ReadAsync(buffer)) > 0)
                {
                    Interlocked.Add(ref _bytes, read);
                }
            });
        }

        public long Bytes => Interlocked.Read(ref _bytes);

        public bool HasExited => _ffmpeg.HasExited;

        public string Errors { get; private set; } = string.Empty;

        public void Dispose()
        {
            if (!_ffmpeg.HasExited)
            {
                _ffmpeg.Kill(entireProcessTree: true);
            }

            _reading.Wait(TimeSpan.FromSeconds(10));
            _ffmpeg.Dispose();
        }
    }
}
