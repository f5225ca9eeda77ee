using System.Net;
using GrpcStream.Edge.Transports;

namespace GrpcStream.Edge.Requests;

/// <summary>
/// The client's connection as the RTSP side sees it: who it is, whether it is closed, and one way out for answers
/// (and, through <see cref="IInterleavedOutput"/>, for interleaved media). The connection owns the socket and the
/// order of what is written; nothing here knows sockets.
/// </summary>
internal interface IClientConnection : IInterleavedOutput
{
    /// <summary>The client's end.</summary>
    IPEndPoint Remote { get; }

    /// <summary>The edge's end: the address the client reached, for the URLs the edge hands out.</summary>
    IPEndPoint Local { get; }

    /// <summary>True over RTSPS.</summary>
    bool IsSecure { get; }

    /// <summary>Cancelled once the connection has closed: work for this client stops.</summary>
    CancellationToken Closed { get; }

    /// <summary>Sends an answer, in order with everything else the connection writes; waits only for room in its queue.</summary>
    ValueTask SendAsync(byte[] response);

    /// <summary>Closes the connection now (a kicked client, a refused publisher).</summary>
    void Abort();
}
