using System.Collections.Immutable;
using GrpcStream.Edge.Sessions;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Edge.Requests;

/// <summary>What is done once a response has been queued, in order with the connection's other output.</summary>
internal enum AfterResponse
{
    Nothing,

    /// <summary>The frames of the response's session start (PLAY): its answer goes out before the first frame.</summary>
    StartFrames,
}

/// <summary>
/// An answer, as a method gives it back: a value the methods make and the router completes (its CSeq, its
/// session), never changed once made; its dialect writes it.
/// </summary>
/// <param name="Status">Its status code.</param>
internal sealed record RtspResponse(int Status)
{
    public static RtspResponse Ok { get; } = new(RtspStatusCode.Ok);

    /// <summary>The request's CSeq; -1 when there was none (an error before any request could be read).</summary>
    public int CSeq { get; init; } = -1;

    /// <summary>The session the answer is about (its Session header), of any kind.</summary>
    public Session? Session { get; init; }

    /// <summary>Whether the Session header carries the timeout (not on TEARDOWN's answer).</summary>
    public bool SessionTimeout { get; init; } = true;

    public ImmutableArray<(string Name, string Value)> Headers { get; init; } = [];

    public string? ContentType { get; init; }

    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The step the router takes once the response is queued.</summary>
    public AfterResponse Then { get; init; }

    /// <summary>This answer with one more header.</summary>
    public RtspResponse With(string name, string value) => this with { Headers = Headers.Add((name, value)) };

    /// <summary>A status with one header: a refusal that says what would be valid, or when to come back.</summary>
    public static RtspResponse Of(int status, string name, string value) => new RtspResponse(status).With(name, value);
}
