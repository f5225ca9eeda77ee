using GrpcStream.Origin.Catalogue;
using GrpcStream.Origin.Diagnostics;
using GrpcStream.Origin.Settings;
using GrpcStream.Origin.Storage;
using Microsoft.Extensions.Options;

namespace GrpcStream.Origin.Live;

/// <summary>A stream that was removed (from the media root, or its publisher gone) while it was being watched.</summary>
internal sealed class StreamRemovedException(string stream, string? message = null) : Exception(message ?? $"Stream '{stream}' was removed from the media root.")
{
    public string Stream { get; } = stream;
}

/// <summary>A subscriber cap is reached: the watcher should try again later (or another origin).</summary>
internal sealed class SubscriberLimitException(string message) : Exception(message);

/// <summary>The origin is shutting down: watchers should reconnect (to this origin when it is back, or another).</summary>
internal sealed class OriginStoppingException() : Exception("The origin is shutting down.");

/// <summary>The live channels, one per watched stream, created with the first subscriber and dropped with the last.</summary>
internal sealed class LiveChannelHub : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LiveChannel> _channels = new(StringComparer.Ordinal);
    private readonly StreamCatalogue _catalogue;
    private readonly TimeProvider _time;
    private readonly OriginMetrics _metrics;
    private readonly FrameCache _cache;
    private readonly ILogger<LiveChannel> _channelLogger;
    private readonly int _bufferFrames;
    private readonly int _maxSubscribers;
    private readonly int _maxPerStream;
    private readonly Dictionary<string, int> _subscribers = new(StringComparer.Ordinal);
    private readonly HashSet<Subscriber> _all = [];
    private int _total;

    /// <summary>Every subscriber now, oldest first.</summary>
    public IReadOnlyList<Subscriber> Subscribers
    {
        get
        {
            lock (_gate)
            {
                return [.. _all.OrderBy(s => s.Since)];
            }
        }
    }

    public LiveChannelHub(StreamCatalogue catalogue, TimeProvider time, OriginMetrics metrics, FrameCache cache, ILogger<LiveChannel> channelLogger, IOptions<OriginOptions> options)
    {
        _catalogue = catalogue;
        _time = time;
        _metrics = metrics;
        _cache = cache;
        _channelLogger = channelLogger;
        _bufferFrames = options.Value.SubscriberBufferFrames;
        _maxSubscribers = options.Value.MaxSubscribers;
        _maxPerStream = options.Value.MaxSubscribersPerStream;
        _catalogue.StreamChanged += OnStreamChanged;
    }

    /// <summary>
    /// Subscribes to <paramref name="stream"/>'s live frames. The current frame is queued at once (or, with
    /// <paramref name="resumeAfter"/>, the first frame after that sequence number).
    /// </summary>
    /// <exception cref="SubscriberLimitException">The origin's or the stream's subscriber cap is reached.</exception>
    public Subscriber Subscribe(MediaStream stream, ulong? resumeAfter, string peer = "") =>
        Admit(stream.Name, resumeAfter, peer, () =>
        {
            // Called with the gate held: the file stream's clock runs while it has subscribers.
            if (!_channels.TryGetValue(stream.Name, out var channel))
            {
                // The catalogue may have loaded a newer version since the caller looked the stream up.
                var latest = _catalogue.TryGet(stream.Name, out var current) ? current : stream;
                channel = new LiveChannel(latest, _time, _metrics, _cache, _channelLogger);
                _channels.Add(stream.Name, channel);
            }

            return channel;
        });

    /// <summary>Subscribes to a channel of its own clock (a published stream's), under the same caps as file streams.</summary>
    /// <exception cref="SubscriberLimitException">The origin's or the stream's subscriber cap is reached.</exception>
    public Subscriber Subscribe(IFrameChannel channel, ulong? resumeAfter, string peer = "") =>
        Admit(channel.Name, resumeAfter, peer, () => channel);

    private Subscriber Admit(string name, ulong? resumeAfter, string peer, Func<IFrameChannel> channelFor)
    {
        var subscriber = new Subscriber(name, _bufferFrames, resumeAfter, () => _metrics.FrameDropped(name), peer, _time.GetUtcNow());
        lock (_gate)
        {
            _subscribers.TryGetValue(name, out var onStream);
            if (_total >= _maxSubscribers || onStream >= _maxPerStream)
            {
                _metrics.SubscriberRefused(name);
                throw new SubscriberLimitException(_total >= _maxSubscribers
                    ? $"The origin has {_maxSubscribers} subscribers, its limit (Origin:MaxSubscribers); try again later."
                    : $"Stream '{name}' has {_maxPerStream} subscribers, its limit (Origin:MaxSubscribersPerStream); try again later.");
            }

            _subscribers[name] = onStream + 1;
            _total++;
            var channel = channelFor();
            subscriber.Source = channel;
            channel.Add(subscriber);
            _all.Add(subscriber);
        }

        _metrics.SubscriberAdded(name);
        return subscriber;
    }

    /// <summary>The live channel of <paramref name="stream"/>, while it has subscribers.</summary>
    public LiveChannel? ChannelOf(string stream)
    {
        lock (_gate)
        {
            return _channels.GetValueOrDefault(stream);
        }
    }

    public void Unsubscribe(Subscriber subscriber)
    {
        lock (_gate)
        {
            _all.Remove(subscriber);
            _total--;
            if (_subscribers.TryGetValue(subscriber.Stream, out var onStream))
            {
                if (onStream <= 1)
                {
                    _subscribers.Remove(subscriber.Stream);
                }
                else
                {
                    _subscribers[subscriber.Stream] = onStream - 1;
                }
            }

            if (subscriber.Source is { } channel && channel.Remove(subscriber)
                && _channels.TryGetValue(subscriber.Stream, out var clocked) && ReferenceEquals(clocked, channel))
            {
                _channels.Remove(subscriber.Stream);
            }
        }

        _metrics.SubscriberRemoved(subscriber.Stream);
    }

    private void OnStreamChanged(string name, MediaStream? stream)
    {
        lock (_gate)
        {
            if (!_channels.TryGetValue(name, out var channel))
            {
                return;
            }

            if (stream is null)
            {
                channel.End(new StreamRemovedException(name));
                _channels.Remove(name);
            }
            else
            {
                channel.Replace(stream);
            }
        }
    }

    /// <summary>Ends every subscription with <see cref="OriginStoppingException"/>, so that shutdown does not wait on endless streams.</summary>
    public void EndAll()
    {
        lock (_gate)
        {
            foreach (var channel in _channels.Values)
            {
                channel.End(new OriginStoppingException());
            }

            _channels.Clear();
        }
    }

    public void Dispose()
    {
        _catalogue.StreamChanged -= OnStreamChanged;
        EndAll();
    }
}
