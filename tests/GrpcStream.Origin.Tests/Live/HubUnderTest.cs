using System.Diagnostics.Metrics;
using GrpcStream.Origin.Catalogue;
using GrpcStream.Origin.Conversion;
using GrpcStream.Origin.Diagnostics;
using GrpcStream.Origin.Live;
using GrpcStream.Origin.Settings;
using GrpcStream.Origin.Storage;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Media;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Origin.Tests.Live;

/// <summary>
/// A <see cref="LiveChannelHub"/> with no host, on a fake clock that the tests never advance (no tick follows a
/// channel's first frame), serving one-frame streams whose reads the tests gate, with the metrics it reports.
/// </summary>
internal sealed class HubUnderTest : IDisposable
{
    /// <summary>How long anything the tests wait for may take on a loaded machine; a hub that is stuck takes longer.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly ServiceProvider _services;
    private readonly StreamCatalogue _catalogue;
    private readonly MetricCollector<long> _subscribers;
    private readonly MetricCollector<long> _refused;
    private readonly List<GatedFrameStore> _stores = [];

    public HubUnderTest(int maxSubscribers = 1000, int maxSubscribersPerStream = 100)
    {
        // No frame cache: every frame a channel shows is read from its store, so reads count clocks started.
        var options = Microsoft.Extensions.Options.Options.Create(new OriginOptions
        {
            MaxSubscribers = maxSubscribers,
            MaxSubscribersPerStream = maxSubscribersPerStream,
            FrameCacheBytes = 0,
        });
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

        // This hub's meter alone (the collectors are scoped to the factory), whatever other tests run meanwhile.
        var meters = _services.GetRequiredService<IMeterFactory>();
        _subscribers = new MetricCollector<long>(meters, OriginMetrics.MeterName, "grpcstream.origin.subscribers");
        _refused = new MetricCollector<long>(meters, OriginMetrics.MeterName, "grpcstream.origin.subscribers.refused");
        Metrics = new OriginMetrics(meters);
        _catalogue = new StreamCatalogue(options, NullLogger<StreamCatalogue>.Instance, Metrics, Time);
        Cache = new FrameCache(options);
        Hub = new LiveChannelHub(_catalogue, Time, Metrics, Cache, NullLogger<LiveChannel>.Instance, options);
    }

    public FakeTimeProvider Time { get; } = new(LiveClockTests.Start);

    public OriginMetrics Metrics { get; }

    public FrameCache Cache { get; }

    public LiveChannelHub Hub { get; }

    /// <summary>The subscriber gauge (an up-down counter): what /metrics would show.</summary>
    public long SubscriberGauge => _subscribers.GetMeasurementSnapshot().Sum(m => m.Value);

    public long Refused => _refused.GetMeasurementSnapshot().Sum(m => m.Value);

    /// <summary>A one-frame stream at 25 fps whose reads wait for <see cref="GatedFrameStore.Open"/>, or not when <paramref name="open"/>.</summary>
    public (MediaStream Stream, GatedFrameStore Disk) Stream(string name, bool open = false)
    {
        var disk = new GatedFrameStore(open);
        lock (_stores)
        {
            _stores.Add(disk);
        }

        var index = new FrameIndex();
        index.Add(new FrameRef(0, GatedFrameStore.Jpeg.Length, 0), default, default, ConversionKind.None, RtpJpegIncompatibility.None);
        index.Complete();
        return (new MediaStream(name, SourceFormat.ConcatenatedJpeg, 25, new SourceFingerprint(GatedFrameStore.Jpeg.Length, DateTime.UnixEpoch, 1), disk, index), disk);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a thread of its own: it may block (on a gated read, or behind one), and
    /// blocked pool threads would starve the test's own continuations.
    /// </summary>
    public static Task<T> OnItsOwnThread<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public static Task OnItsOwnThread(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public void Dispose()
    {
        // A test that failed with a read still gated lets it go, so that no thread is left waiting.
        lock (_stores)
        {
            _stores.ForEach(s => s.Open());
        }

        Hub.Dispose();
        _catalogue.Dispose();
        _subscribers.Dispose();
        _refused.Dispose();
        _services.Dispose();
    }
}
