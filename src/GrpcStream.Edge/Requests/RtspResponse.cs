using GrpcStream.Edge.Sessions;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Edge.Requests;

/// <summary>A response being put together by the methods; its dialect writes it.</summary>
internal sealed class RtspResponse(int cseq)
{
    public int CSeq { get; } = cseq;

    public int Status { get; set; } = RtspStatusCode.Ok;

    public RtspSession? Session { get; set; }

    /// <summary>A publisher's session id, for its answers (a publisher has no <see cref="RtspSession"/>).</summary>
    public string? SessionId { get; set; }

    /// <summary>Whether the Session header carries the timeout (not on TEARDOWN's answer).</summary>
    public bool SessionTimeout { get; set; } = true;

    public List<(string Name, string Value)> Headers { get; } = [];

    public string? ContentType { get; set; }

    public byte[]? Body { get; set; }

    /// <summary>Something to do once the response is queued (start the frames of a PLAY).</summary>
    public Action? AfterSent { get; set; }

    public RtspResponse WithStatus(int status)
    {
        Status = status;
        return this;
    }
}
