using System.Globalization;
using System.Text;

namespace GrpcStream.Cli.Output;

/// <summary>
/// Writes received frames to a file: concatenated JPEG (an MJPEG file ffplay opens), or, for names ending in
/// ".Mjpeg", the lab format of a 5-digit length before each frame (which the origin and the lab server read).
/// </summary>
internal sealed class FrameFileWriter : IAsyncDisposable
{
    private const int LabMaxFrame = 99_999;
    private readonly FileStream _file;

    public FrameFileWriter(string path)
    {
        Path = path;
        LengthPrefixed = path.EndsWith(".Mjpeg", StringComparison.Ordinal);
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024, useAsync: true);
    }

    public string Path { get; }

    public bool LengthPrefixed { get; }

    public int Written { get; private set; }

    /// <summary>Frames too large for the lab format's 5 digits, left out.</summary>
    public int Skipped { get; private set; }

    public async Task WriteAsync(byte[] jpeg, CancellationToken cancellationToken)
    {
        if (LengthPrefixed)
        {
            if (jpeg.Length > LabMaxFrame)
            {
                Skipped++;
                return;
            }

            await _file.WriteAsync(Encoding.ASCII.GetBytes(jpeg.Length.ToString("D5", CultureInfo.InvariantCulture)), cancellationToken);
        }

        await _file.WriteAsync(jpeg, cancellationToken);
        Written++;
    }

    public ValueTask DisposeAsync() => _file.DisposeAsync();
}
