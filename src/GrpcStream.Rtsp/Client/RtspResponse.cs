using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Rtsp.Client;

/// <summary>A server's answer: its status, headers and body (the message is a copy, safe to keep).</summary>
public sealed class RtspResponse(RtspMessage message)
{
    public int StatusCode => message.StatusCode;

    public string ReasonPhrase => message.ReasonPhrase;

    public bool IsSuccess => StatusCode is >= 200 and < 300;

    public string? GetHeader(string name) => message.GetHeader(name);

    public ReadOnlyMemory<byte> Body => message.Body;

    /// <summary>Every header, in the order sent.</summary>
    public IEnumerable<(string Name, string Value)> Headers
    {
        get
        {
            for (var i = 0; i < message.HeaderCount; i++)
            {
                yield return (System.Text.Encoding.ASCII.GetString(message.GetHeaderName(i)), System.Text.Encoding.UTF8.GetString(message.GetHeaderValue(i)));
            }
        }
    }

    /// <summary>The status line, as RTSP writes it.</summary>
    public override string ToString() => $"RTSP/1.0 {StatusCode} {ReasonPhrase}";
}
