namespace GrpcStream.Edge.Sessions;

/// <summary>
/// Once a second: sessions that are expired or past a drain's deadline are closed, and sender reports that are due
/// go out (<see cref="SessionManager.Maintain"/>). Sessions keep their own time here, apart from the connections'
/// heartbeat, which only cuts off clients that stopped reading.
/// </summary>
internal sealed class SessionHeartbeat(SessionManager sessions, TimeProvider time) : BackgroundService
{
    /// <summary>How often sessions are looked at: expiry and reports are measured in seconds.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                sessions.Maintain();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
