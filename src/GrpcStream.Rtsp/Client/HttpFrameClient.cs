using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace GrpcStream.Rtsp.Client;

/// <summary>
/// One frame over HTTP: from a snapshot URL (<c>image/jpeg</c>) or the first part of an MJPEG stream
/// (<c>multipart/x-mixed-replace</c>), as GrpcStream's edge and most IP cameras serve them. User and password in
/// the URL (or given) go as HTTP Basic.
/// </summary>
public static class HttpFrameClient
{
    private const int MaxLine = 1024;
    private const int MaxHeaders = 64;

    /// <summary>
    /// The frame's JPEG; at most <paramref name="maxFrameBytes"/> bytes. For https://, the server's certificate is
    /// checked as for rtsps:// (<paramref name="caPath"/>: a private CA; <paramref name="acceptAnyCertificate"/>: no check).
    /// </summary>
    /// <exception cref="HttpStatusException">The server answered with an error status.</exception>
    /// <exception cref="HttpFrameException">The answer is not a JPEG or an MJPEG stream.</exception>
    public static async Task<byte[]> GetFrameAsync(Uri url, string? user, string? password, int maxFrameBytes, string? caPath, bool acceptAnyCertificate, CancellationToken cancellationToken)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = true };
        handler.SslOptions.RemoteCertificateValidationCallback = TlsTrust.Validator(caPath, acceptAnyCertificate);
        using var http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, new UriBuilder(url) { UserName = string.Empty, Password = string.Empty }.Uri);
        var credentials = user is not null ? $"{user}:{password}" : url.UserInfo.Length > 0 ? Uri.UnescapeDataString(url.UserInfo) : null;
        if (credentials is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var reason = body.Length is > 0 and < 500 ? body.Trim() : response.ReasonPhrase;
            throw new HttpStatusException((int)response.StatusCode, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}: {reason}");
        }

        var type = response.Content.Headers.ContentType;
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using var disposing = stream.ConfigureAwait(false);
        var jpeg = type?.MediaType switch
        {
            "image/jpeg" => await ReadBodyAsync(stream, response.Content.Headers.ContentLength, maxFrameBytes, cancellationToken).ConfigureAwait(false),
            "multipart/x-mixed-replace" => await ReadFirstPartAsync(stream, Boundary(type), maxFrameBytes, cancellationToken).ConfigureAwait(false),
            _ => throw new HttpFrameException($"the answer is {type?.MediaType ?? "untyped"}, not image/jpeg or multipart/x-mixed-replace"),
        };
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            throw new HttpFrameException("the answer is not a JPEG (no start-of-image marker)");
        }

        return jpeg;
    }

    private static string Boundary(MediaTypeHeaderValue type) =>
        type.Parameters.FirstOrDefault(p => p.Name.Equals("boundary", StringComparison.OrdinalIgnoreCase))?.Value?.Trim('"') is { Length: > 0 } boundary
            ? boundary
            : throw new HttpFrameException("multipart/x-mixed-replace without a boundary");

    private static async Task<byte[]> ReadBodyAsync(Stream stream, long? length, int maxFrameBytes, CancellationToken cancellationToken)
    {
        if (length > maxFrameBytes)
        {
            throw new HttpFrameException($"the image is {length} bytes, over the {maxFrameBytes} allowed");
        }

        using var body = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (body.Length + read > maxFrameBytes)
            {
                throw new HttpFrameException($"the image is over the {maxFrameBytes} bytes allowed");
            }

            body.Write(buffer, 0, read);
        }

        return body.ToArray();
    }

    /// <summary>The first part: lines up to its boundary, its headers, then Content-Length bytes.</summary>
    private static async Task<byte[]> ReadFirstPartAsync(Stream stream, string boundary, int maxFrameBytes, CancellationToken cancellationToken)
    {
        var input = new BufferedStream(stream);
        var delimiter = "--" + boundary;
        string line;
        var skipped = 0;
        while ((line = await LineAsync(input, cancellationToken).ConfigureAwait(false)) != delimiter)
        {
            // Some servers put a preamble or blank lines first.
            if (++skipped > MaxHeaders)
            {
                throw new HttpFrameException($"no '{delimiter}' line at the start of the stream");
            }
        }

        int? length = null;
        var headers = 0;
        while ((line = await LineAsync(input, cancellationToken).ConfigureAwait(false)).Length > 0)
        {
            if (++headers > MaxHeaders)
            {
                throw new HttpFrameException("a part with too many headers");
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                length = int.TryParse(line[(colon + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : throw new HttpFrameException($"a bad Content-Length: {line}");
            }
        }

        if (length is not { } size)
        {
            throw new HttpFrameException("the stream's first part has no Content-Length");
        }

        if (size > maxFrameBytes)
        {
            throw new HttpFrameException($"the first frame is {size} bytes, over the {maxFrameBytes} allowed");
        }

        var jpeg = new byte[size];
        await input.ReadExactlyAsync(jpeg, cancellationToken).ConfigureAwait(false);
        return jpeg;
    }

    private static async Task<string> LineAsync(Stream input, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await input.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new HttpFrameException("the stream ended before its first frame");
            }

            if (one[0] == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }

            if (line.Length >= MaxLine)
            {
                throw new HttpFrameException($"a line of over {MaxLine} characters in the stream");
            }

            line.Append((char)one[0]);
        }
    }
}
