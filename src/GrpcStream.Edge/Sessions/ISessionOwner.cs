namespace GrpcStream.Edge.Sessions;

/// <summary>Who set a session up, and so may use it: one client connection, or one HTTP request.</summary>
internal interface ISessionOwner
{
    /// <summary>Its players' sessions (a publisher's is its connection's own, and not counted here).</summary>
    int SessionCount { get; }

    /// <summary>The client's end of the connection.</summary>
    System.Net.IPEndPoint Remote { get; }

    /// <summary>Closes the connection (a kicked client's last session has ended).</summary>
    void Disconnect();

    void Add(Session session);

    void Remove(Session session);
}
