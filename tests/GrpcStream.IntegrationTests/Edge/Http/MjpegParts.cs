using System.Globalization;
using System.Text;

namespace GrpcStream.IntegrationTests.Edge.Http;

/// <summary>One part of a <c>multipart/x-mixed-replace</c> MJPEG stream.</summary>
internal sealed record MjpegPart(IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public ulong Sequence => ulong.Parse(Headers["X-Sequence"], CultureInfo.InvariantCulture);
}

/// <summary>Reads the parts of an MJPEG stream strictly: a boundary line, headers, Content-Length bytes, CRLF.</summary>
internal sealed class MjpegParts(Stream stream, string boundary) : IDisposable
{
    private readonly BufferedStream _input = new(stream);

    public void Dispose() => _input.Dispose();

    public async Task<MjpegPart> NextAsync(CancellationToken cancellationToken)
    {
        Assert.Equal("--" + boundary, await LineAsync(cancellationToken));
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var line = await LineAsync(cancellationToken); line.Length > 0; line = await LineAsync(cancellationToken))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            Assert.True(colon > 0, $"a header line: '{line}'");
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        var body = new byte[int.Parse(headers["Content-Length"], CultureInfo.InvariantCulture)];
        await _input.ReadExactlyAsync(body, cancellationToken);
        Assert.Equal(string.Empty, await LineAsync(cancellationToken));
        return new MjpegPart(headers, body);
    }

    private async Task<string> LineAsync(CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            await _input.ReadExactlyAsync(one, cancellationToken);
            if (one[0] == '\n')
            {
                Assert.True(line.Length > 0 && line[^1] == '\r', "lines end in CRLF");
                return line.ToString(0, line.Length - 1);
            }

            line.Append((char)one[0]);
            Assert.True(line.Length < 1000, "a line of under 1000 characters");
        }
    }
}
