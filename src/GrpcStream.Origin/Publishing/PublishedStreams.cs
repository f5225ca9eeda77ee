using GrpcStream.Origin.Diagnostics;
using GrpcStream.Origin.Settings;
using GrpcStream.Origin.Live;
using Microsoft.Extensions.Options;

namespace GrpcStream.Origin.Publishing;

/// <summary>A name that has a publisher connected: a second one is refused (ALREADY_EXISTS).</summary>
internal sealed class PublisherConflictException(string name)
    : Exception($"Stream '{name}' already has a publisher; a new one may publish it once that one is gone.");

/// <summary>Origin:Publish:MaxPublishers are connected (RESOURCE_EXHAUSTED).</summary>
internal sealed class PublisherLimitException(int limit)
    : Exception($"The origin has {limit} publishers, its limit (Origin:Publish:MaxPublishers); try again later.");

/// <summary>
/// The published streams, by name: one publisher each at a time. A stream whose publisher leaves is held, with its
/// last frame and its subscribers, for <c>Origin:Publish:HoldTime</c>; a publisher that comes back in time continues
/// it, otherwise it ends and its subscribers are told it is gone (NOT_FOUND).
/// </summary>
internal sealed class PublishedStreams : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _streams = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly OriginMetrics _metrics;
    private readonly ILogger<PublishedStreams> _logger;
    private readonly PublishOptions _options;
    private int _connected;

    public PublishedStreams(TimeProvider time, OriginMetrics metrics, IOptions<OriginOptions> options, ILogger<PublishedStreams> logger)
    {
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _options = options.Value.Publish;
    }

    /// <summary>The streams that have a frame to show (a publisher that has sent none yet does not make a stream).</summary>
    public IReadOnlyList<PublishedStream> Streams
    {
        get
        {
            lock (_gate)
            {
                return [.. _streams.Values.Select(e => e.Stream).Where(s => s.Info is not null).OrderBy(s => s.Name, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>The stream named <paramref name="name"/>, once it has a frame.</summary>
    public PublishedStream? Find(string name)
    {
        lock (_gate)
        {
            return _streams.TryGetValue(name, out var entry) && entry.Stream.Info is not null ? entry.Stream : null;
        }
    }

    /// <summary>A publisher starts on <paramref name="name"/>: a new stream, or the held one continued.</summary>
    /// <exception cref="PublisherConflictException">The name has a publisher connected.</exception>
    /// <exception cref="PublisherLimitException">Too many publishers are connected.</exception>
    public PublishedStream Begin(string name, double frameRate)
    {
        lock (_gate)
        {
            if (_streams.TryGetValue(name, out var entry) && entry.Connected)
            {
                _metrics.PublishRefused("already_exists");
                throw new PublisherConflictException(name);
            }

            if (_connected >= _options.MaxPublishers)
            {
                _metrics.PublishRefused("limit");
                throw new PublisherLimitException(_options.MaxPublishers);
            }

            if (entry is null)
            {
                entry = new Entry(new PublishedStream(name, frameRate, _metrics));
                _streams.Add(name, entry);
                OriginLog.PublishStarted(_logger, name, frameRate, "a new stream");
            }
            else
            {
                entry.Hold?.Dispose();
                entry.Hold = null;
                entry.Stream.Continue(frameRate);
                OriginLog.PublishStarted(_logger, name, frameRate, "continuing the held stream");
            }

            entry.Connected = true;
            _connected++;
            _metrics.PublisherAdded();
            return entry.Stream;
        }
    }

    /// <summary>The publisher of <paramref name="stream"/> left: the stream is held, or ends at once if it never had a frame.</summary>
    public void End(PublishedStream stream)
    {
        lock (_gate)
        {
            if (!_streams.TryGetValue(stream.Name, out var entry) || !ReferenceEquals(entry.Stream, stream) || !entry.Connected)
            {
                return;
            }

            entry.Connected = false;
            _connected--;
            _metrics.PublisherRemoved();
            if (stream.Info is null || _options.HoldTime <= TimeSpan.Zero)
            {
                Remove(entry);
                return;
            }

            OriginLog.PublisherLeft(_logger, stream.Name, _options.HoldTime.TotalSeconds);
            entry.Hold = _time.CreateTimer(_ => Expire(entry), null, _options.HoldTime, Timeout.InfiniteTimeSpan);
        }
    }

    private void Expire(Entry entry)
    {
        lock (_gate)
        {
            if (entry.Connected || !_streams.TryGetValue(entry.Stream.Name, out var current) || !ReferenceEquals(current, entry))
            {
                return; // a publisher came back just as the hold ran out
            }

            Remove(entry);
        }
    }

    // Called with the gate held.
    private void Remove(Entry entry)
    {
        entry.Hold?.Dispose();
        entry.Hold = null;
        _streams.Remove(entry.Stream.Name);
        entry.Stream.End(new StreamRemovedException(entry.Stream.Name, $"Stream '{entry.Stream.Name}' ended: its publisher left."));
        OriginLog.PublishedStreamEnded(_logger, entry.Stream.Name, entry.Stream.Frames);
    }

    /// <summary>Ends every published stream's subscriptions (the origin is stopping).</summary>
    public void EndAll()
    {
        lock (_gate)
        {
            foreach (var entry in _streams.Values)
            {
                entry.Hold?.Dispose();
                entry.Stream.End(new OriginStoppingException());
            }
        }
    }

    public void Dispose() => EndAll();

    private sealed class Entry(PublishedStream stream)
    {
        public PublishedStream Stream { get; } = stream;

        public bool Connected { get; set; }

        public ITimer? Hold { get; set; }
    }
}
