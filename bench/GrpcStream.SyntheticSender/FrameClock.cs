using System.Diagnostics;

namespace GrpcStream.SyntheticSender;

/// <summary>
/// Sends the frame to every playing session at the frame rate, from one thread: frame <c>n</c> is due at
/// <c>n / fps</c> seconds after the start, whatever the sleeps and sends before it took, so the rate does not
/// drift; frames more than a second late are skipped, not sent in a burst.
/// </summary>
internal sealed class FrameClock(Server server)
{
    private long _packets;
    private long _skipped;
    private long _dropped;
    private long _late;

    public long Packets => Interlocked.Read(ref _packets);

    /// <summary>Frames not sent to a TCP session because its previous one was not all written yet.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>UDP packets the kernel did not take.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Frame times passed over because sending fell more than a second behind.</summary>
    public long Late => Interlocked.Read(ref _late);

    public void Run(CancellationToken cancellationToken)
    {
        var fps = server.FramesPerSecond;
        var started = Stopwatch.GetTimestamp();
        long frame = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var due = started + (long)(frame * Stopwatch.Frequency / fps);
            var early = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (early > TimeSpan.Zero)
            {
                // At least a millisecond: the sender sleeps rather than spins, and catches up on the next frames.
                Thread.Sleep(Math.Max(1, (int)early.TotalMilliseconds));
                continue;
            }

            if (-early > TimeSpan.FromSeconds(1))
            {
                var now = (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * fps);
                Interlocked.Add(ref _late, now - frame);
                frame = now;
            }

            SendToAll((uint)(long)(frame * 90_000 / fps)); // the RTP clock wraps, as it should
            frame++;
        }
    }

    private void SendToAll(uint timestamp)
    {
        long packets = 0, dropped = 0, skipped = 0;
        foreach (var viewer in server.Viewers)
        {
            var sent = viewer.Send(server.Frame, timestamp, server.Rtp, ref dropped);
            packets += sent;
            if (sent == 0 && viewer.IsPlaying)
            {
                skipped++;
            }
        }

        Interlocked.Add(ref _packets, packets);
        Interlocked.Add(ref _dropped, dropped);
        Interlocked.Add(ref _skipped, skipped);
    }
}
