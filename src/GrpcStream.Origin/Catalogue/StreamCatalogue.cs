using System.Collections.Immutable;
using GrpcStream.Origin.Diagnostics;
using GrpcStream.Origin.Settings;
using GrpcStream.Origin.Native;
using Microsoft.Extensions.Options;
using GrpcStream.Shared;

namespace GrpcStream.Origin.Catalogue;

/// <summary>
/// The streams the origin serves: one per usable entry of the media root, plus the built-in sample. Kept current
/// by periodic rescans (<see cref="CatalogueRefreshService"/>), each of which opens only what changed.
/// </summary>
/// <remarks>
/// Lookups never wait behind a scan: they read the last complete catalogue, an immutable dictionary swapped in
/// whole when a scan ends. A lookup that misses (a file just added?) asks for a scan and waits for one that starts
/// after it, at most one <see cref="OriginOptions.RescanInterval"/>. Misses coalesce: the refresh service runs at
/// most one scan per interval for them, however many arrive, so a client asking for names that do not exist
/// cannot make the origin read its media root more often.
/// <para>
/// A scan only opens a changed entry far enough to find its first frame, and lists it then: the rest of the
/// source is indexed in the background, one source at a time, so the time to list a library does not grow with
/// the size of its files.
/// </para>
/// </remarks>
internal sealed class StreamCatalogue : IDisposable
{
    private readonly OriginOptions _options;
    private readonly ILogger<StreamCatalogue> _logger;
    private readonly OriginMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly StreamLoader _loader;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private readonly SemaphoreSlim _indexingGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();

    // Entries that are not streams, with why, so that each reason is logged and counted once per version.
    private readonly Dictionary<string, string> _rejected = new(StringComparer.Ordinal);
    private ImmutableSortedDictionary<string, MediaStream> _streams = ImmutableSortedDictionary.Create<string, MediaStream>(StringComparer.Ordinal);
    private TaskCompletionSource _scanEnded = NewScanSignal();
    private TaskCompletionSource _scanWanted = NewScanSignal();
    private long _scansStarted;
    private long _scansEnded;
    private int _missesWaiting;
    private MediaStream? _sample;

    public StreamCatalogue(IOptions<OriginOptions> options, ILogger<StreamCatalogue> logger, OriginMetrics metrics, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        _metrics = metrics;
        _time = time;
        _loader = new StreamLoader(_options);
    }

    /// <summary>Raised after a rescan for each stream that was replaced (new instance) or removed (null).</summary>
    public event Action<string, MediaStream?>? StreamChanged;

    /// <summary>True once the first scan has finished.</summary>
    public bool Ready { get; private set; }

    public IReadOnlyCollection<MediaStream> Streams => _streams.Values.ToArray();

    public bool TryGet(string name, out MediaStream stream) => _streams.TryGetValue(name, out stream!);

    /// <summary>Scans begun since start-up (the first included).</summary>
    public long ScansStarted => Interlocked.Read(ref _scansStarted);

    /// <summary>Lookups that missed and are waiting for a scan.</summary>
    public int MissesWaiting => Volatile.Read(ref _missesWaiting);

    /// <summary>Completes when a lookup has missed since the last scan began: the refresh service's cue.</summary>
    public Task ScanWanted => Volatile.Read(ref _scanWanted).Task;

    /// <summary>
    /// The stream named <paramref name="name"/>; when it is not known, asks for a scan (the file may just have been
    /// added) and waits for one that starts after the request, at most one rescan interval, then looks again.
    /// </summary>
    public async ValueTask<MediaStream?> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (TryGet(name, out var stream))
        {
            return stream;
        }

        var wanted = ScansStarted + 1;
        Interlocked.Increment(ref _missesWaiting);
        try
        {
            await WaitForScanAsync(wanted, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _missesWaiting);
        }

        return TryGet(name, out stream) ? stream : null;
    }

    private async Task WaitForScanAsync(long wanted, CancellationToken cancellationToken)
    {
        Volatile.Read(ref _scanWanted).TrySetResult();
        var deadline = _time.GetTimestamp() + (long)(_options.RescanInterval.TotalSeconds * _time.TimestampFrequency);
        while (Interlocked.Read(ref _scansEnded) < wanted)
        {
            var left = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
            var ended = Volatile.Read(ref _scanEnded).Task;
            if (left <= TimeSpan.Zero || Interlocked.Read(ref _scansEnded) >= wanted)
            {
                break;
            }

            try
            {
                await ended.WaitAsync(left, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Scans are slow or spaced out: answer from what is known rather than keep the caller.
                break;
            }
        }
    }

    /// <summary>
    /// Scans the media root and loads what was added or changed. Concurrent calls run one after another. Never
    /// throws for what it finds: an entry that cannot be loaded is logged and left out.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _scansStarted);

        // Misses from now on want a scan after this one.
        if (_scanWanted.Task.IsCompleted)
        {
            Volatile.Write(ref _scanWanted, NewScanSignal());
        }

        try
        {
            // Loading reads and converts files: keep it off the caller's thread.
            await Task.Run(Scan, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Ready = true;
            Interlocked.Increment(ref _scansEnded);
            Interlocked.Exchange(ref _scanEnded, NewScanSignal()).TrySetResult();
            _refreshGate.Release();
        }
    }

    private static TaskCompletionSource NewScanSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Scan()
    {
        var previous = _streams;
        var next = ImmutableSortedDictionary.CreateBuilder<string, MediaStream>(StringComparer.Ordinal);
        if (_options.MediaRoot is { } root)
        {
            ScanMediaRoot(new MediaRoot(root, _options.FollowSymlinks), previous, next);
        }

        if (_options.Sample.Enabled && !next.ContainsKey(_options.Sample.Name))
        {
            try
            {
                _sample ??= SampleStream.Create(_options.Sample.Name, _options.FrameRateFor(_options.Sample.Name), _options.Sample.FrameCount, _loader);
                next[_options.Sample.Name] = _sample;
            }
            catch (InvalidOperationException ex)
            {
                // Limits set below what the sample needs: serve the media root without it.
                Reject(_options.Sample.Name, "sample", ex.Message, "not_a_stream");
            }
        }

        _streams = next.ToImmutable();
        foreach (var (name, old) in previous)
        {
            if (!_streams.TryGetValue(name, out var current))
            {
                OriginLog.StreamRemoved(_logger, name);
                StreamChanged?.Invoke(name, null);
                old.Retire();
            }
            else if (!ReferenceEquals(current, old))
            {
                StreamChanged?.Invoke(name, current);
                old.Retire();
            }
        }
    }

    private void ScanMediaRoot(MediaRoot root, ImmutableSortedDictionary<string, MediaStream> previous, ImmutableSortedDictionary<string, MediaStream>.Builder next)
    {
        string[] entries;
        try
        {
            entries = Directory.GetFileSystemEntries(root.Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            OriginLog.MediaRootUnreadable(_logger, root.Path, ex.Message);

            // Keep serving what was loaded: a root that is briefly unreadable (a remount) is not an empty one.
            next.AddRange(previous.Where(s => !ReferenceEquals(s.Value, _sample)));
            return;
        }

        foreach (var path in entries)
        {
            var name = Path.GetFileName(path);
            if (StreamName.CheckFileName(name) is not null)
            {
                continue;
            }

            try
            {
                ScanEntry(root, name, path, previous, next);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Whatever one entry does (vanishing, changing, a file system error), the others are still served.
                Reject(name, "scan-failed:" + ex.Message, $"cannot be scanned: {ex.Message}", "scan_failed");
            }
        }
    }

    private void ScanEntry(MediaRoot root, string name, string path, ImmutableSortedDictionary<string, MediaStream> previous, ImmutableSortedDictionary<string, MediaStream>.Builder next)
    {
        var kind = root.Admit(path, out var refused);
        if (kind == FileKind.Missing && refused is null)
        {
            return; // removed since the listing
        }

        if (kind is not (FileKind.Regular or FileKind.Directory))
        {
            Reject(name, "refused:" + refused, refused ?? kind.ToString(), kind == FileKind.SymbolicLink ? "symlink_outside_root" : "not_regular_file");
            return;
        }

        var print = StreamLoader.Fingerprint(path, kind);
        if (previous.TryGetValue(name, out var known) && known.Fingerprint == print)
        {
            next[name] = known;
            return;
        }

        if (_rejected.TryGetValue(name, out var rejectedAs) && rejectedAs == print.ToString())
        {
            return;
        }

        if (_loader.Open(name, path, kind, root, print, out var whyNot) is not var (stream, indexer))
        {
            Reject(name, print.ToString(), whyNot ?? "unknown", "not_a_stream");
            return;
        }

        _rejected.Remove(name);
        next[name] = stream;
        OriginLog.StreamListed(_logger, name, stream.Format.ToString(), stream.ServedInfo.Width, stream.ServedInfo.Height, stream.FrameRate);
        _ = IndexRestAsync(stream, indexer);
    }

    // Indexes the rest of a listed stream, one source at a time (they share a disk), stopping when the version
    // leaves the catalogue or the origin stops.
    private async Task IndexRestAsync(MediaStream stream, StreamIndexer indexer)
    {
        try
        {
            await _indexingGate.WaitAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            indexer.Dispose();
            return;
        }

        try
        {
            await Task.Run(
                () =>
                {
                    while (!stream.Retired && !_stopping.IsCancellationRequested && indexer.Step())
                    {
                    }
                },
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug, not the source's fault (that is a skipped frame): the frames found so far stay served.
            OriginLog.IndexingFailed(_logger, stream.Name, ex);
        }
        finally
        {
            indexer.Dispose();
            _indexingGate.Release();
        }

        Indexed(stream);
    }

    private void Indexed(MediaStream stream)
    {
        var index = stream.Index;
        foreach (var (reason, count) in index.SkippedByReason)
        {
            _metrics.FramesSkipped(stream.Name, reason, count);
        }

        if (index.SkippedFrames > 0)
        {
            OriginLog.FramesSkipped(_logger, stream.Name, index.SkippedFrames, index.FirstProblem ?? "unknown");
        }

        if (index.FirstConversionReason is { } why)
        {
            OriginLog.FramesConverted(_logger, stream.Name, index.ConvertedFrames, why.ToString(), index.AllConversionsLossless, index.ConvertedFromCache);
        }

        if (index.StoppedEarly is { } stopped && !stream.Retired)
        {
            OriginLog.IndexingStopped(_logger, stream.Name, index.Count, stopped);
        }

        OriginLog.StreamLoaded(_logger, stream.Name, stream.Format.ToString(), index.Count, stream.ServedInfo.Width, stream.ServedInfo.Height, stream.FrameRate);
    }

    // Logged and counted when the entry or its reason is new, not on every scan.
    private void Reject(string name, string key, string reason, string metricReason)
    {
        if (_rejected.TryGetValue(name, out var previous) && previous == key)
        {
            return;
        }

        _rejected[name] = key;
        _metrics.EntryRefused(metricReason);
        OriginLog.NotAStream(_logger, name, reason);
    }

    public void Dispose()
    {
        // Background indexing ends at its next step; the gates are left to the collector, as a walk may still hold one.
        _stopping.Cancel();
    }
}
