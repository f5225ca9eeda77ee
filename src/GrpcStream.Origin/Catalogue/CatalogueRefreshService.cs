using GrpcStream.Origin.Settings;
using Microsoft.Extensions.Options;
using GrpcStream.Origin.Diagnostics;

namespace GrpcStream.Origin.Catalogue;

/// <summary>
/// Runs the first scan before the service starts listening (so that it never answers "not found" for a stream
/// it simply has not loaded yet), then rescans the media root every <see cref="OriginOptions.RescanInterval"/>,
/// and sooner when a lookup misses, but for misses at most once an interval.
/// </summary>
internal sealed class CatalogueRefreshService(StreamCatalogue catalogue, IOptions<OriginOptions> options, TimeProvider time, ILogger<CatalogueRefreshService> logger) : BackgroundService
{
    private long _lastScan;
    private long? _lastMissScan;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _lastScan = time.GetTimestamp();
        await ScanAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.RescanInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wanted = catalogue.ScanWanted;
            var untilPeriodic = interval - time.GetElapsedTime(_lastScan);
            var untilMissAllowed = _lastMissScan is { } last ? interval - time.GetElapsedTime(last) : TimeSpan.Zero;
            var wait = wanted.IsCompleted ? TimeSpan.FromTicks(Math.Min(untilPeriodic.Ticks, untilMissAllowed.Ticks)) : untilPeriodic;
            if (wait > TimeSpan.Zero)
            {
                using var sleeping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var sleep = Task.Delay(wait, time, sleeping.Token);
                var woke = await Task.WhenAny(sleep, wanted.IsCompleted ? Task.Delay(Timeout.Infinite, sleeping.Token) : wanted);
                await sleeping.CancelAsync();
                if (woke != sleep || !sleep.IsCompletedSuccessfully)
                {
                    continue; // a miss arrived (work out again when to scan), or stopping
                }
            }

            _lastScan = time.GetTimestamp();
            if (wanted.IsCompleted)
            {
                _lastMissScan = _lastScan;
            }

            await ScanAsync(stoppingToken);
        }
    }

    // A scan that fails in a way nobody foresaw is logged and tried again later; it never stops the host.
    private async Task ScanAsync(CancellationToken cancellationToken)
    {
        try
        {
            await catalogue.RefreshAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            OriginLog.ScanFailed(logger, ex);
        }
    }
}
