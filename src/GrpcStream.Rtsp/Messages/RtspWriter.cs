using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;

namespace GrpcStream.Rtsp.Messages;

/// <summary>
/// Writes RTSP messages as bytes straight into a buffer writer (a PipeWriter, say), with CRLF line endings:
/// start line, headers, then <see cref="WriteEnd"/> with the optional body and its Content-Length.
/// </summary>
public ref struct RtspWriter
{
    private readonly IBufferWriter<byte> _output;

    public RtspWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Line ending used in everything written (the lab dialect answers with LF alone).</summary>
    public bool BareLineFeeds { get; init; }

    public readonly void WriteRequestLine(RtspMethod method, string uri)
    {
        Ascii(method.Name());
        Ascii(" ");
        Utf8(uri);
        Ascii(" RTSP/1.0");
        EndLine();
    }

    public readonly void WriteStatusLine(int statusCode, string? reason = null)
    {
        Ascii("RTSP/1.0 ");
        Number(statusCode);
        Ascii(" ");
        Ascii(reason ?? RtspStatusCode.ReasonPhrase(statusCode));
        EndLine();
    }

    public readonly void WriteHeader(string name, string value)
    {
        Ascii(name);
        Ascii(": ");
        Utf8(value);
        EndLine();
    }

    public readonly void WriteHeader(string name, long value)
    {
        Ascii(name);
        Ascii(": ");
        Number(value);
        EndLine();
    }

    public readonly void WriteCSeq(int cseq) => WriteHeader("CSeq", cseq);

    /// <summary>Ends the headers and writes the body, with Content-Type and Content-Length when there is one.</summary>
    public readonly void WriteEnd(ReadOnlySpan<byte> body = default, string? contentType = null)
    {
        if (!body.IsEmpty)
        {
            if (contentType is not null)
            {
                WriteHeader("Content-Type", contentType);
            }

            WriteHeader("Content-Length", body.Length);
        }

        EndLine();
        _output.Write(body);
    }

    /// <summary>Writes the 4-byte header of an interleaved frame ('$', channel, length).</summary>
    public static void WriteInterleavedHeader(Span<byte> destination, byte channel, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, ushort.MaxValue);
        destination[0] = (byte)'$';
        destination[1] = channel;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
    }

    private readonly void EndLine() => Ascii(BareLineFeeds ? "\n" : "\r\n");

    private readonly void Ascii(string text)
    {
        var span = _output.GetSpan(text.Length);
        var written = Encoding.ASCII.GetBytes(text, span);
        _output.Advance(written);
    }

    private readonly void Utf8(string text)
    {
        var span = _output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        _output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private readonly void Number(long value)
    {
        var span = _output.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out var written);
        _output.Advance(written);
    }
}
