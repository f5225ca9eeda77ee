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

/// <summary>A response being put together by the methods; its dialect writes it.</summary>
internal sealed class RtspResponse(int cseq)
{
    public int CSeq { get; } = cseq;

    public int Status { get; set; } = RtspStatusCode.Ok;

    /// <summary>The session the answer is about (its Session header), of any kind.</summary>
    public Session? Session { get; set; }

    /// <summary>Whether the Session header carries the timeout (not on TEARDOWN's answer).</summary>
    public bool SessionTimeout { get; set; } = true;

    public List<(string Name, string Value)> Headers { get; } = [];

    public string? ContentType { get; set; }

    public byte[]? Body { get; set; }

    /// <summary>The step the router takes once the response is queued.</summary>
    public AfterResponse Then { get; set; }

    public RtspResponse WithStatus(int status)
    {
        Status = status;
        return this;
    }
}
