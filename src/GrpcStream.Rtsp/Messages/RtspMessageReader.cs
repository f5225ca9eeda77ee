using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;

namespace GrpcStream.Rtsp.Messages;

/// <summary>What <see cref="RtspMessageReader.TryRead"/> found at the start of the buffer.</summary>
public enum RtspReadResult
{
    /// <summary>Not a whole message or frame yet: read more and call again with everything buffered.</summary>
    NeedMoreData,

    /// <summary>A request or response, parsed into the caller's <see cref="RtspMessage"/>.</summary>
    Message,

    /// <summary>An interleaved binary frame (RFC 2326 10.12).</summary>
    InterleavedFrame,
}

/// <summary>An interleaved binary frame: channel and payload, a slice of the caller's buffer.</summary>
public readonly record struct InterleavedFrame(byte Channel, ReadOnlySequence<byte> Payload)
{
    /// <summary>'$', channel, 16-bit length.</summary>
    public const int HeaderSize = 4;
}

/// <summary>
/// Reads RTSP messages and interleaved frames from the bytes of one connection (for example a
/// <see cref="System.IO.Pipelines.PipeReader"/>'s buffer), in the manner of Kestrel's HTTP/1.1 parser:
/// incomplete input is a return value, never an exception; malformed or oversized input is a
/// <see cref="RtspProtocolException"/> that names the status code to answer with. Limits are checked
/// against the buffered length before any of it is parsed further, so an endless header costs nothing.
/// Accepts CRLF and bare LF line endings and case-insensitive header names.
/// </summary>
public sealed class RtspMessageReader(RtspLimits? limits = null)
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';

    public RtspLimits Limits { get; } = limits ?? RtspLimits.Default;

    /// <summary>
    /// Reads what starts <paramref name="buffer"/>. On <see cref="RtspReadResult.NeedMoreData"/>,
    /// <paramref name="consumed"/> is where the unread part begins (blank lines between messages are consumed).
    /// </summary>
    /// <param name="buffer">The bytes received and not yet consumed.</param>
    /// <param name="message">Filled in when the result is <see cref="RtspReadResult.Message"/>.</param>
    /// <param name="frame">Set when the result is <see cref="RtspReadResult.InterleavedFrame"/>.</param>
    /// <param name="consumed">Where the next read starts.</param>
    /// <param name="endOfInputEndsHeaders">
    /// Take the end of <paramref name="buffer"/> as the end of the headers, for a caller that knows by other means
    /// (silence on the connection, say) that a message without its blank line is whole.
    /// </param>
    /// <exception cref="RtspProtocolException">The input is not RTSP or breaks a limit.</exception>
    public RtspReadResult TryRead(in ReadOnlySequence<byte> buffer, RtspMessage message, out InterleavedFrame frame, out SequencePosition consumed, bool endOfInputEndsHeaders = false)
    {
        ArgumentNullException.ThrowIfNull(message);
        frame = default;
        var reader = new SequenceReader<byte>(buffer);
        while (reader.TryPeek(out var b) && (b == Cr || b == Lf))
        {
            reader.Advance(1);
        }

        consumed = reader.Position;
        if (reader.End)
        {
            return RtspReadResult.NeedMoreData;
        }

        reader.TryPeek(out var first);
        if (first == (byte)'$')
        {
            return TryReadInterleaved(ref reader, out frame, ref consumed);
        }

        message.Reset();
        if (!reader.TryReadTo(out ReadOnlySequence<byte> startLine, Lf))
        {
            if (!endOfInputEndsHeaders)
            {
                CheckLength(reader.Remaining, Limits.MaxStartLineLength, RtspProtocolError.StartLineTooLong, "The start line is too long.");
                return RtspReadResult.NeedMoreData;
            }

            startLine = reader.UnreadSequence;
            reader.AdvanceToEnd();
        }

        CheckLength(startLine.Length, Limits.MaxStartLineLength + 1, RtspProtocolError.StartLineTooLong, "The start line is too long.");
        ParseStartLine(startLine, message);

        long headerBytes = 0;
        while (true)
        {
            if (reader.End && endOfInputEndsHeaders)
            {
                message.HeadersEndedByEndOfInput = true;
                break;
            }

            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, Lf))
            {
                CheckLength(headerBytes + reader.Remaining, Limits.MaxHeaderBytes, RtspProtocolError.HeadersTooLarge, "The headers are too large.");
                if (!endOfInputEndsHeaders)
                {
                    return RtspReadResult.NeedMoreData;
                }

                // The last header line of a quiet client may not end with a line break at all.
                line = reader.UnreadSequence;
                reader.AdvanceToEnd();
            }

            headerBytes += line.Length + 1;
            CheckLength(headerBytes, Limits.MaxHeaderBytes, RtspProtocolError.HeadersTooLarge, "The headers are too large.");
            if (line.Length == 0 || (line.Length == 1 && line.FirstSpan[0] == Cr))
            {
                break;
            }

            if (message.HeaderCount >= Limits.MaxHeaderCount)
            {
                throw new RtspProtocolException(RtspProtocolError.TooManyHeaders, $"More than {Limits.MaxHeaderCount} headers.");
            }

            ParseHeaderLine(line, message);
        }

        var length = ContentLengthOf(message);
        if (length > 0)
        {
            if (reader.Remaining < length)
            {
                return RtspReadResult.NeedMoreData;
            }

            message.SetContentLength(length);
            reader.UnreadSequence.Slice(0, length).CopyTo(message.BodyBuffer);
            reader.Advance(length);
        }

        consumed = reader.Position;
        return RtspReadResult.Message;
    }

    private static RtspReadResult TryReadInterleaved(ref SequenceReader<byte> reader, out InterleavedFrame frame, ref SequencePosition consumed)
    {
        frame = default;
        Span<byte> header = stackalloc byte[InterleavedFrame.HeaderSize];
        if (!reader.TryCopyTo(header))
        {
            return RtspReadResult.NeedMoreData;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        if (reader.Remaining < InterleavedFrame.HeaderSize + length)
        {
            return RtspReadResult.NeedMoreData;
        }

        reader.Advance(InterleavedFrame.HeaderSize);
        frame = new InterleavedFrame(header[1], reader.UnreadSequence.Slice(0, length));
        reader.Advance(length);
        consumed = reader.Position;
        return RtspReadResult.InterleavedFrame;
    }

    private static void CheckLength(long length, long limit, RtspProtocolError error, string message)
    {
        if (length > limit)
        {
            throw new RtspProtocolException(error, message);
        }
    }

    private static void ParseStartLine(in ReadOnlySequence<byte> sequence, RtspMessage message)
    {
        // Lines are bounded by the limits: one copy to a contiguous span when a line spans segments.
        Span<byte> scratch = sequence.IsSingleSegment ? default : new byte[sequence.Length];
        var line = TrimCr(sequence.IsSingleSegment ? sequence.FirstSpan : Copy(sequence, scratch));

        if (line.StartsWith("RTSP/"u8))
        {
            // RTSP/1.0 200 OK
            var space = line.IndexOf((byte)' ');
            var minor = space < 0 ? -1 : ParseVersion(line[..space]);
            var rest = space < 0 ? default : line[(space + 1)..].TrimStart((byte)' ');
            if (rest.Length < 3 || !Utf8Parser.TryParse(rest[..3], out int code, out var used) || used != 3 || code < 100
                || (rest.Length > 3 && rest[3] != (byte)' '))
            {
                throw new RtspProtocolException(RtspProtocolError.BadStartLine, "Malformed status line.");
            }

            message.SetStatusLine(minor, code, rest.Length > 4 ? rest[4..] : default);
            return;
        }

        // METHOD SP Request-URI SP RTSP/1.0
        var firstSpace = line.IndexOf((byte)' ');
        var lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace)
        {
            throw new RtspProtocolException(RtspProtocolError.BadStartLine, "Malformed request line.");
        }

        var method = line[..firstSpace];
        var uri = line[(firstSpace + 1)..lastSpace].Trim((byte)' ');
        var version = ParseVersion(line[(lastSpace + 1)..]);
        if (uri.IsEmpty || !IsToken(method))
        {
            throw new RtspProtocolException(RtspProtocolError.BadStartLine, "Malformed request line.");
        }

        foreach (var b in uri)
        {
            if (b <= 0x20 || b == 0x7F)
            {
                throw new RtspProtocolException(RtspProtocolError.BadStartLine, "The request URI has a control character or space.");
            }
        }

        message.SetRequestLine(method, uri, version);
    }

    /// <summary>The minor version of "RTSP/1.x"; other protocols and versions are refused.</summary>
    private static int ParseVersion(ReadOnlySpan<byte> version)
    {
        if (!version.StartsWith("RTSP/"u8))
        {
            throw new RtspProtocolException(RtspProtocolError.BadStartLine, "Not an RTSP message.");
        }

        if (!version.StartsWith("RTSP/1."u8) || version.Length != 8 || version[7] is < (byte)'0' or > (byte)'9')
        {
            throw new RtspProtocolException(RtspProtocolError.UnsupportedVersion, "Only RTSP/1.0 is supported.");
        }

        return version[7] - '0';
    }

    private static void ParseHeaderLine(in ReadOnlySequence<byte> sequence, RtspMessage message)
    {
        Span<byte> scratch = sequence.IsSingleSegment ? default : new byte[sequence.Length];
        var line = TrimCr(sequence.IsSingleSegment ? sequence.FirstSpan : Copy(sequence, scratch));
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            throw new RtspProtocolException(RtspProtocolError.BadHeaderLine, "A header line has no name.");
        }

        var name = line[..colon];
        if (!IsToken(name))
        {
            // Includes obsolete line folding (a line starting with white space).
            throw new RtspProtocolException(RtspProtocolError.BadHeaderLine, "A header name is not a token.");
        }

        var value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in value)
        {
            if (b < 0x20 && b != (byte)'\t')
            {
                throw new RtspProtocolException(RtspProtocolError.BadHeaderLine, "A header value has a control character.");
            }
        }

        message.AddHeader(name, value);
    }

    private int ContentLengthOf(RtspMessage message)
    {
        if (!message.TryGetHeader("Content-Length"u8, out var value))
        {
            return 0;
        }

        // Digits only, and few enough to fit: "-1", "1e9", "0x10" and 20-digit numbers are all refused
        // before any buffer is sized from them.
        if (value.IsEmpty || value.Length > 9 || value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
        {
            throw new RtspProtocolException(RtspProtocolError.BadContentLength, "Content-Length is not a number.");
        }

        if (!Utf8Parser.TryParse(value, out int length, out _) || length > Limits.MaxContentLength)
        {
            throw new RtspProtocolException(RtspProtocolError.ContentTooLarge, $"Content-Length {length} is over the limit of {Limits.MaxContentLength}.");
        }

        return length;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) => line.Length > 0 && line[^1] == Cr ? line[..^1] : line;

    private static ReadOnlySpan<byte> Copy(in ReadOnlySequence<byte> sequence, Span<byte> scratch)
    {
        sequence.CopyTo(scratch);
        return scratch;
    }

    /// <summary>RFC 2616 token characters: visible ASCII except separators.</summary>
    private static bool IsToken(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (var b in text)
        {
            if (b <= 0x20 || b >= 0x7F || "()<>@,;:\\\"/[]?={}"u8.Contains(b))
            {
                return false;
            }
        }

        return true;
    }
}
