namespace GrpcStream.Edge.Sessions;

/// <summary>Why a session ended: logged, counted and told to the control API's watchers.</summary>
public enum SessionEndReason
{
    /// <summary>The client sent TEARDOWN.</summary>
    Teardown,

    /// <summary>Nothing was heard from the client for the session timeout.</summary>
    Timeout,

    /// <summary>An operator ended it through the control API.</summary>
    Kicked,

    /// <summary>Its connection broke the protocol or stopped reading what was sent to it.</summary>
    Error,

    /// <summary>The edge is stopping.</summary>
    Shutdown,

    /// <summary>The edge was draining and the drain's deadline passed.</summary>
    Drained,

    /// <summary>A new connection from the same client took over its UDP ports.</summary>
    Replaced,

    /// <summary>Its connection closed without a TEARDOWN.</summary>
    Disconnected,
}
