namespace GrpcStream.Edge.Sessions;

/// <summary>
/// Whether the edge is draining (taking no new sessions) and until when its sessions may go on: how a rolling
/// upgrade empties an edge. Set by the control API, read by <see cref="SessionManager"/>.
/// </summary>
internal sealed class DrainState
{
    private readonly TimeProvider time;

    public DrainState(TimeProvider time, Diagnostics.EdgeMetrics? metrics = null)
    {
        this.time = time;
        metrics?.ObserveDrain(() => Draining);
    }

    private readonly Lock _gate = new();
    private bool _draining;
    private DateTimeOffset? _deadline;

    public bool Draining
    {
        get
        {
            lock (_gate)
            {
                return _draining;
            }
        }
    }

    public DateTimeOffset? Deadline
    {
        get
        {
            lock (_gate)
            {
                return _draining ? _deadline : null;
            }
        }
    }

    /// <summary>Starts draining (or moves the deadline); null: sessions go on until they end.</summary>
    public void Start(TimeSpan? deadline)
    {
        lock (_gate)
        {
            _draining = true;
            _deadline = deadline is { } after ? time.GetUtcNow() + after : null;
        }
    }

    public void Stop()
    {
        lock (_gate)
        {
            _draining = false;
            _deadline = null;
        }
    }

    /// <summary>True once the deadline has passed: the remaining sessions are to be closed.</summary>
    public bool DeadlinePassed => Deadline is { } deadline && time.GetUtcNow() >= deadline;
}
