using System.Diagnostics;
using System.Globalization;
using GrpcStream.SyntheticSender;

// A minimal RTSP server whose sending costs next to nothing: one pre-packetized JPEG frame, only sequence numbers,
// timestamp and SSRC stamped in per session, one segmented UDP send or one TCP write per session per frame. Loaded
// by `grpcstream bench`, it shows the load generator's own ceiling (packets/s, CPU per packet).
const string Usage = """
    usage: GrpcStream.SyntheticSender [--port N] [--fps N] [--frame FILE]
      --port   RTSP port on 127.0.0.1 (default 8554; 0 picks one); any path plays the stream
      --fps    frames per second sent to every playing session (default 30)
      --frame  a baseline JPEG to send (default: a 640x480 test picture made with ffmpeg)
    Prints "ready PORT" once listening, then a status line every 10 s.
    """;

int port = 8554;
double fps = 30;
string? framePath = null;
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--port" when int.TryParse(value, CultureInfo.InvariantCulture, out port) && port is >= 0 and <= 65535:
        case "--fps" when double.TryParse(value, CultureInfo.InvariantCulture, out fps) && fps is > 0 and <= 10_000:
        case "--frame" when (framePath = value) is not null:
            i++;
            break;
        default:
            await Console.Error.WriteLineAsync(Usage);
            return args[i] is "-h" or "--help" ? 0 : 2;
    }
}

SyntheticFrame frame;
try
{
    frame = new SyntheticFrame(framePath is null ? await TestPicture.MakeAsync() : await File.ReadAllBytesAsync(framePath));
}
catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or GrpcStream.Rtsp.Jpeg.RtpJpegException)
{
    await Console.Error.WriteLineAsync($"synthetic sender: {ex.Message}");
    return 1;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
using var server = new Server(frame, fps, port);
var clock = new FrameClock(server);
var sending = new Thread(() => clock.Run(stop.Token)) { Name = "frame clock", IsBackground = true };
sending.Start();
var accepting = server.AcceptAsync(stop.Token);

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{frame.Width}x{frame.Height}, {frame.JpegBytes} bytes, {frame.PacketCount} packets a frame, {fps} fps"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ready {server.Port}"));
var last = (Packets: 0L, At: Stopwatch.GetTimestamp());
try
{
    while (true)
    {
        await Task.Delay(TimeSpan.FromSeconds(10), stop.Token);
        var viewers = server.Viewers;
        var (packets, now) = (clock.Packets, Stopwatch.GetTimestamp());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{viewers.Count(v => v.IsPlaying)} playing ({viewers.Count(v => v.IsPlaying && v.IsTcp)} tcp); {(packets - last.Packets) / Stopwatch.GetElapsedTime(last.At, now).TotalSeconds:0} packets/s; skipped {clock.Skipped} tcp frames, dropped {clock.Dropped} udp packets, {clock.Late} frame times late"));
        last = (packets, now);
    }
}
catch (OperationCanceledException)
{
    // Ctrl+C.
}

try
{
    await accepting;
}
catch (OperationCanceledException)
{
    // Stopped.
}

return 0;
