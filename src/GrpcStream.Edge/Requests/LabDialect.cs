using System.Buffers;
using System.Text;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Headers;

namespace GrpcStream.Edge.Requests;

/// <summary>
/// The classic lab client's dialect, all of it in one place: its requests name the stream bare
/// (<c>SETUP movie.Mjpeg RTSP/1.0</c>), end their lines with LF and never send the blank line, so a request is
/// whole once the client has been quiet for a while; it reads answers by line number (status, CSeq, Session,
/// LF-separated, nothing else); and it asks for <c>RTP/UDP; client_port= N</c>, one port, to which each frame
/// goes as one RTP packet holding the whole JPEG.
/// </summary>
internal sealed class LabDialect : RtspDialect
{
    /// <summary>Only the lab client sends a bare name where a URL belongs.</summary>
    public static bool IsBareName(ReadOnlySpan<byte> uri) =>
        uri.Length > 0 && uri[0] != (byte)'*' && !uri.StartsWith("rtsp://"u8) && !uri.StartsWith("rtsps://"u8);

    /// <summary>
    /// A request line with a bare name may end at a quiet gap; a standard client paused mid-request keeps waiting
    /// (up to the request timeout), and so does anything that is not a request line at all.
    /// </summary>
    public override bool MayEndAtQuietGap(in ReadOnlySequence<byte> pending)
    {
        Span<byte> head = stackalloc byte[256];
        var length = (int)Math.Min(pending.Length, head.Length);
        pending.Slice(0, length).CopyTo(head);
        var line = head[..length];
        if (line.IsEmpty || line[0] == (byte)'$')
        {
            return false;
        }

        var end = line.IndexOfAny((byte)'\r', (byte)'\n');
        line = end < 0 ? line : line[..end];
        var space = line.IndexOf((byte)' ');
        if (space <= 0)
        {
            return false;
        }

        var uri = line[(space + 1)..];
        var uriEnd = uri.IndexOf((byte)' ');
        return IsBareName(uriEnd < 0 ? uri : uri[..uriEnd]);
    }

    public override byte[] Write(RtspResponse response, int sessionTimeoutSeconds)
    {
        var text = new StringBuilder($"RTSP/1.0 {response.Status} {Rtsp.Messages.RtspStatusCode.ReasonPhrase(response.Status)}\nCSeq: {response.CSeq}");
        if (response.Session is { } session)
        {
            text.Append("\nSession: ").Append(session.Id);
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    public override IMediaTransport? TryCreateTransport(TransportSpec spec, TransportFactory factory, ClientContext client) =>
        spec.Profile == "RTP/UDP" && spec.LowerTransport == LowerTransport.Udp && !spec.IsMulticast && spec.ClientPorts is { First: > 0 } ports
            ? factory.CreateLab(client.TransportClient, ports.First)
            : base.TryCreateTransport(spec, factory, client);
}
