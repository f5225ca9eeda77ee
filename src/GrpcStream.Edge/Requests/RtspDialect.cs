using System.Buffers;
using GrpcStream.Edge.Transports;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Edge.Requests;

/// <summary>
/// How one connection's client speaks: how its messages are framed, how answers are written to it, and which
/// transports it may ask for. Chosen once per connection, from its first request.
/// </summary>
internal abstract class RtspDialect
{
    public static RtspDialect Standard { get; } = new StandardDialect();

    public static RtspDialect Lab { get; } = new LabDialect();

    /// <summary>The dialect of a connection whose first request is <paramref name="first"/>.</summary>
    public static RtspDialect Of(RtspMessage first) =>
        first.HeadersEndedByEndOfInput || LabDialect.IsBareName(first.UriBytes) ? Lab : Standard;

    /// <summary>Whether unfinished bytes may be taken as a whole message after a quiet gap.</summary>
    public abstract bool MayEndAtQuietGap(in ReadOnlySequence<byte> pending);

    /// <summary>The response's bytes on the wire.</summary>
    public abstract byte[] Write(RtspResponse response, int sessionTimeoutSeconds);

    /// <summary>A transport for <paramref name="spec"/>, or null when this dialect cannot serve it.</summary>
    public virtual IMediaTransport? TryCreateTransport(TransportSpec spec, TransportFactory factory, ClientContext client) =>
        factory.TryCreateRtpAvp(spec, client.TransportClient);

    private sealed class StandardDialect : RtspDialect
    {
        public override bool MayEndAtQuietGap(in ReadOnlySequence<byte> pending) => false;

        public override byte[] Write(RtspResponse response, int sessionTimeoutSeconds)
        {
            var output = new ArrayBufferWriter<byte>(512);
            var writer = new RtspWriter(output);
            writer.WriteStatusLine(response.Status);
            if (response.CSeq >= 0)
            {
                writer.WriteCSeq(response.CSeq);
            }

            if (response.Session?.Id is { } sessionId)
            {
                writer.WriteHeader(SessionHeader.Name, new SessionHeader(sessionId, response.SessionTimeout ? sessionTimeoutSeconds : null).ToString());
            }

            foreach (var (name, value) in response.Headers)
            {
                writer.WriteHeader(name, value);
            }

            writer.WriteHeader("Server", "GrpcStream");
            writer.WriteEnd(response.Body.Span, response.ContentType);
            return output.WrittenSpan.ToArray();
        }
    }
}
