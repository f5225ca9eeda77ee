using System.Diagnostics;

namespace GrpcStream.SyntheticSender;

/// <summary>The default frame: ffmpeg's testsrc2 at 640x480, standard Huffman tables (as RFC 2435 needs), 4:2:0.</summary>
internal static class TestPicture
{
    public static async Task<byte[]> MakeAsync()
    {
        var start = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in "-v error -f lavfi -i testsrc2=size=640x480 -frames:v 1 -huffman default -pix_fmt yuvj420p -q:v 3 -f mjpeg -".Split(' '))
        {
            start.ArgumentList.Add(argument);
        }

        using var ffmpeg = Process.Start(start) ?? throw new IOException("ffmpeg did not start");
        using var jpeg = new MemoryStream();
        var errors = ffmpeg.StandardError.ReadToEndAsync();
        await ffmpeg.StandardOutput.BaseStream.CopyToAsync(jpeg).ConfigureAwait(false);
        await ffmpeg.WaitForExitAsync().ConfigureAwait(false);
        if (ffmpeg.ExitCode != 0)
        {
            throw new IOException($"ffmpeg failed: {(await errors.ConfigureAwait(false)).Trim()}");
        }

        return jpeg.ToArray();
    }
}
