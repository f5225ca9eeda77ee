using System.Buffers.Text;
using System.Text;

namespace GrpcStream.Rtsp.Messages;

/// <summary>
/// One parsed RTSP request or response. Instances are reused: <see cref="RtspMessageReader"/> parses into an
/// existing one, keeping the start line and headers as byte ranges in one internal buffer, so that reading a
/// message allocates nothing once the buffers have grown to size. Strings are made only when asked for.
/// </summary>
public sealed class RtspMessage
{
    private byte[] _arena = new byte[1024];
    private int _arenaLength;
    private Header[] _headers = new Header[16];
    private byte[] _body = [];
    private (int Start, int Length) _methodToken;
    private (int Start, int Length) _uri;
    private (int Start, int Length) _reason;
    private string? _uriString;

    public bool IsRequest { get; private set; }

    public RtspMethod Method { get; private set; }

    /// <summary>The method token as sent (useful when <see cref="Method"/> is <see cref="RtspMethod.Unknown"/>).</summary>
    public ReadOnlySpan<byte> MethodToken => Slice(_methodToken);

    /// <summary>The request URI as sent: an absolute rtsp:// URL, "*", or whatever else a client sent (a bare name, say).</summary>
    public ReadOnlySpan<byte> UriBytes => Slice(_uri);

    public string Uri => _uriString ??= Encoding.UTF8.GetString(UriBytes);

    /// <summary>The minor version of RTSP/1.x.</summary>
    public int MinorVersion { get; private set; }

    public int StatusCode { get; private set; }

    public string ReasonPhrase => Encoding.UTF8.GetString(Slice(_reason));

    /// <summary>The CSeq header's value, or -1 when there is none.</summary>
    public int CSeq { get; private set; } = -1;

    public int ContentLength { get; private set; }

    public ReadOnlyMemory<byte> Body => _body.AsMemory(0, ContentLength);

    public int HeaderCount { get; private set; }

    /// <summary>True when the message had no blank line after its headers and the end of the input was taken as their end (see <see cref="RtspMessageReader.TryRead"/>).</summary>
    public bool HeadersEndedByEndOfInput { get; internal set; }

    public ReadOnlySpan<byte> GetHeaderName(int index) => Slice(HeaderAt(index).Name);

    public ReadOnlySpan<byte> GetHeaderValue(int index) => Slice(HeaderAt(index).Value);

    /// <summary>The first header named <paramref name="name"/> (case-insensitive).</summary>
    public bool TryGetHeader(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        for (var i = 0; i < HeaderCount; i++)
        {
            if (Ascii.EqualsIgnoreCase(Slice(_headers[i].Name), name))
            {
                value = Slice(_headers[i].Value);
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>The first header named <paramref name="name"/> as a string, or null.</summary>
    public string? GetHeader(string name)
    {
        Span<byte> ascii = stackalloc byte[Math.Min(name.Length, 256)];
        var written = Encoding.ASCII.GetBytes(name.AsSpan(0, ascii.Length), ascii);
        return TryGetHeader(ascii[..written], out var value) ? Encoding.UTF8.GetString(value) : null;
    }

    /// <summary>Every header named <paramref name="name"/> (case-insensitive), in order.</summary>
    public List<string> GetHeaders(string name)
    {
        var values = new List<string>();
        for (var i = 0; i < HeaderCount; i++)
        {
            if (Ascii.EqualsIgnoreCase(Slice(_headers[i].Name), name))
            {
                values.Add(Encoding.UTF8.GetString(Slice(_headers[i].Value)));
            }
        }

        return values;
    }

    /// <summary>A copy that stays valid after this instance is reused.</summary>
    public RtspMessage Clone()
    {
        var copy = (RtspMessage)MemberwiseClone();
        copy._arena = (byte[])_arena.Clone();
        copy._headers = (Header[])_headers.Clone();
        copy._body = (byte[])_body.Clone();
        return copy;
    }

    public override string ToString() => IsRequest ? $"{Encoding.ASCII.GetString(MethodToken)} {Uri}" : $"RTSP/1.{MinorVersion} {StatusCode} {ReasonPhrase}";

    internal void Reset()
    {
        _arenaLength = 0;
        HeaderCount = 0;
        ContentLength = 0;
        CSeq = -1;
        StatusCode = 0;
        MinorVersion = 0;
        Method = RtspMethod.Unknown;
        IsRequest = false;
        HeadersEndedByEndOfInput = false;
        _uriString = null;
        _methodToken = _uri = _reason = default;
    }

    internal void SetRequestLine(ReadOnlySpan<byte> method, ReadOnlySpan<byte> uri, int minorVersion)
    {
        IsRequest = true;
        Method = RtspMethods.Parse(method);
        _methodToken = Append(method);
        _uri = Append(uri);
        MinorVersion = minorVersion;
    }

    internal void SetStatusLine(int minorVersion, int statusCode, ReadOnlySpan<byte> reason)
    {
        IsRequest = false;
        MinorVersion = minorVersion;
        StatusCode = statusCode;
        _reason = Append(reason);
    }

    internal void AddHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (HeaderCount == _headers.Length)
        {
            Array.Resize(ref _headers, _headers.Length * 2);
        }

        _headers[HeaderCount++] = new Header(Append(name), Append(value));
        if (Ascii.EqualsIgnoreCase(name, "CSeq"u8))
        {
            if (!Utf8Parser.TryParse(value, out int cseq, out var used) || used != value.Length || cseq < 0)
            {
                throw new RtspProtocolException(RtspProtocolError.BadCSeq, "CSeq is not a non-negative number.");
            }

            CSeq = cseq;
        }
    }

    internal void SetContentLength(int length)
    {
        ContentLength = length;
        if (_body.Length < length)
        {
            _body = new byte[Math.Max(length, 256)];
        }
    }

    internal Span<byte> BodyBuffer => _body.AsSpan(0, ContentLength);

    private (int Start, int Length) Append(ReadOnlySpan<byte> bytes)
    {
        if (_arenaLength + bytes.Length > _arena.Length)
        {
            Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaLength + bytes.Length));
        }

        bytes.CopyTo(_arena.AsSpan(_arenaLength));
        var range = (_arenaLength, bytes.Length);
        _arenaLength += bytes.Length;
        return range;
    }

    private ReadOnlySpan<byte> Slice((int Start, int Length) range) => _arena.AsSpan(range.Start, range.Length);

    private Header HeaderAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, HeaderCount);
        return _headers[index];
    }

    private readonly record struct Header((int Start, int Length) Name, (int Start, int Length) Value);
}
