using GrpcStream.Origin.Hosting;
using Microsoft.Extensions.Options;

namespace GrpcStream.Origin.Catalogue;

/// <summary>
/// Runs the first scan before the service starts listening (so that it never answers "not found" for a stream
/// it simply has not loaded yet), then rescans the media root every <see cref="OriginOptions.RescanInterval"/>.
/// </summary>
internal sealed class CatalogueRefreshService(StreamCatalogue catalogue, IOptions<OriginOptions> options, TimeProvider time) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await catalogue.RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RescanInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await catalogue.RefreshAsync(stoppingToken);
        }
    }
}
