using System.Collections.Immutable;
using GrpcStream.Origin.Hosting;
using GrpcStream.Origin.Sample;
using Microsoft.Extensions.Options;

namespace GrpcStream.Origin.Catalogue;

/// <summary>
/// The streams the origin serves: one per usable entry of the media root, plus the built-in sample.
/// Kept current by rescans (periodic, and on a lookup that misses), each of which loads only what changed.
/// </summary>
internal sealed class StreamCatalogue : IDisposable
{
    private readonly OriginOptions _options;
    private readonly ILogger<StreamCatalogue> _logger;
    private readonly StreamLoader _loader;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);

    // Entries that are not streams, remembered by fingerprint so each version is reported once.
    private readonly Dictionary<string, SourceFingerprint> _rejected = new(StringComparer.Ordinal);
    private ImmutableSortedDictionary<string, MediaStream> _streams = ImmutableSortedDictionary.Create<string, MediaStream>(StringComparer.Ordinal);
    private MediaStream? _sample;

    public StreamCatalogue(IOptions<OriginOptions> options, ILogger<StreamCatalogue> logger)
    {
        _options = options.Value;
        _logger = logger;
        _loader = new StreamLoader(_options, logger);
    }

    /// <summary>Raised after a rescan for each stream that was replaced (new instance) or removed (null).</summary>
    public event Action<string, MediaStream?>? StreamChanged;

    /// <summary>True once the first scan has finished.</summary>
    public bool Ready { get; private set; }

    public IReadOnlyCollection<MediaStream> Streams => _streams.Values.ToArray();

    public bool TryGet(string name, out MediaStream stream) => _streams.TryGetValue(name, out stream!);

    /// <summary>The stream named <paramref name="name"/>, rescanning once if it is not known yet (a file just added).</summary>
    public async ValueTask<MediaStream?> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (TryGet(name, out var stream))
        {
            return stream;
        }

        await RefreshAsync(cancellationToken);
        return TryGet(name, out stream) ? stream : null;
    }

    /// <summary>Scans the media root and loads what was added or changed. Concurrent calls run one after another.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshGate.WaitAsync(cancellationToken);
        try
        {
            // Loading reads and converts files: keep it off the caller's thread.
            await Task.Run(Scan, cancellationToken);
            Ready = true;
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    private void Scan()
    {
        var previous = _streams;
        var next = ImmutableSortedDictionary.CreateBuilder<string, MediaStream>(StringComparer.Ordinal);
        if (_options.MediaRoot is { } root)
        {
            ScanMediaRoot(root, previous, next);
        }

        if (_options.Sample.Enabled && !next.ContainsKey(_options.Sample.Name))
        {
            _sample ??= TestPatternStream.Create(_options.Sample.Name, _options.FrameRateFor(_options.Sample.Name), _options.Sample.FrameCount, _loader);
            next[_options.Sample.Name] = _sample;
        }

        _streams = next.ToImmutable();
        foreach (var (name, old) in previous)
        {
            if (!_streams.TryGetValue(name, out var current))
            {
                OriginLog.StreamRemoved(_logger, name);
                StreamChanged?.Invoke(name, null);
            }
            else if (!ReferenceEquals(current, old))
            {
                StreamChanged?.Invoke(name, current);
            }
        }
    }

    private void ScanMediaRoot(string root, ImmutableSortedDictionary<string, MediaStream> previous, ImmutableSortedDictionary<string, MediaStream>.Builder next)
    {
        string[] entries;
        try
        {
            entries = Directory.GetFileSystemEntries(root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            OriginLog.MediaRootUnreadable(_logger, root, ex.Message);
            return;
        }

        foreach (var path in entries)
        {
            var name = Path.GetFileName(path);
            if (StreamName.Check(name) is not null)
            {
                continue;
            }

            SourceFingerprint? fingerprint;
            try
            {
                fingerprint = StreamLoader.Fingerprint(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                OriginLog.NotAStream(_logger, name, ex.Message);
                continue;
            }

            if (fingerprint is not { } print)
            {
                continue;
            }

            if (previous.TryGetValue(name, out var known) && known.Fingerprint == print)
            {
                next[name] = known;
                continue;
            }

            if (_rejected.TryGetValue(name, out var rejectedPrint) && rejectedPrint == print)
            {
                continue;
            }

            var stream = _loader.Load(name, path, print, out var whyNot);
            if (stream is null)
            {
                _rejected[name] = print;
                OriginLog.NotAStream(_logger, name, whyNot ?? "unknown");
                continue;
            }

            _rejected.Remove(name);
            next[name] = stream;
            OriginLog.StreamLoaded(_logger, name, stream.Format.ToString(), stream.Frames.Length, stream.ServedInfo.Width, stream.ServedInfo.Height, stream.FrameRate);
        }
    }

    public void Dispose() => _refreshGate.Dispose();
}
