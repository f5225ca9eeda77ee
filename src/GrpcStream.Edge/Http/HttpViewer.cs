using System.Net;
using GrpcStream.Edge.Sessions;

namespace GrpcStream.Edge.Http;

/// <summary>Who holds an HTTP viewer's session: its request. Kicking the viewer aborts the request.</summary>
internal sealed class HttpViewer(HttpContext context) : ISessionOwner
{
    private int _sessions;

    public int SessionCount => Volatile.Read(ref _sessions);

    public IPEndPoint Remote { get; } = new(context.Connection.RemoteIpAddress ?? IPAddress.None, context.Connection.RemotePort);

    public void Disconnect() => context.Abort();

    public void Add(Session session) => Interlocked.Increment(ref _sessions);

    public void Remove(Session session) => Interlocked.Decrement(ref _sessions);
}
