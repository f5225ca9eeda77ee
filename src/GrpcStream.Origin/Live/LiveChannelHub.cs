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
/// <remarks>
/// The hub's lock guards its books only (the channels by stream, the subscriber counts the caps are checked on),
/// never a channel: adding a subscriber may start its channel's clock, which reads the stream's first frame from
/// disk, and any call into a channel may wait for a tick of it that is reading a frame. So a subscriber is counted
/// and given its stream's channel under the lock, and added to it after; one stream's slow file holds up only that
/// stream's subscribers. A subscriber counts from then on: the caps hold for subscribers still joining, and a
/// stream's channel is kept while any subscriber of the stream, joined or joining, is counted.
/// </remarks>
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
    private bool _stopping;

    /// <summary>Every subscriber now (those still joining included), oldest first.</summary>
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
            // Called with the gate held, and cheap: a channel reads nothing until a subscriber is added to it.
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
        IFrameChannel channel;
        lock (_gate)
        {
            if (_stopping)
            {
                // A call that arrived as the origin began to stop: no channel would be ended for it.
                subscriber.Complete(new OriginStoppingException());
                return subscriber;
            }

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
            _all.Add(subscriber);
            channel = channelFor();
            subscriber.Source = channel;
        }

        // Outside the gate (see the remarks). Should the channel end first, it ends the subscriber at once.
        try
        {
            channel.Add(subscriber);
        }
        catch
        {
            channel.Remove(subscriber);
            Release(subscriber);
            throw;
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
        // From the channel first, outside the gate: its clock stops if it was the last, before the hub may forget it.
        subscriber.Source?.Remove(subscriber);
        if (Release(subscriber))
        {
            _metrics.SubscriberRemoved(subscriber.Stream);
        }
    }

    // Uncounts a subscriber; false when it was not counted (refused at shutdown, or released already). With the
    // stream's last, joined or joining, the stream's channel is forgotten: it has no subscriber, so it has stopped,
    // and no one else holds it to add one.
    private bool Release(Subscriber subscriber)
    {
        lock (_gate)
        {
            if (!_all.Remove(subscriber))
            {
                return false;
            }

            _total--;
            if (_subscribers.TryGetValue(subscriber.Stream, out var onStream) && onStream > 1)
            {
                _subscribers[subscriber.Stream] = onStream - 1;
            }
            else
            {
                _subscribers.Remove(subscriber.Stream);
                _channels.Remove(subscriber.Stream);
            }

            return true;
        }
    }

    private void OnStreamChanged(string name, MediaStream? stream)
    {
        LiveChannel? channel;
        lock (_gate)
        {
            if (!_channels.TryGetValue(name, out channel))
            {
                return;
            }

            if (stream is null)
            {
                _channels.Remove(name);
            }
        }

        // Outside the gate: ending waits for a tick that may be reading a frame, and a new frame rate starts a new
        // clock, which reads one.
        if (stream is null)
        {
            channel.End(new StreamRemovedException(name));
        }
        else
        {
            channel.Replace(stream);
        }
    }

    /// <summary>
    /// Ends every subscription with <see cref="OriginStoppingException"/>, and any that begins afterwards at once, so
    /// that shutdown does not wait on endless streams.
    /// </summary>
    public void EndAll()
    {
        LiveChannel[] channels;
        lock (_gate)
        {
            _stopping = true;
            channels = [.. _channels.Values];
            _channels.Clear();
        }

        foreach (var channel in channels)
        {
            channel.End(new OriginStoppingException());
        }
    }

    public void Dispose()
    {
        _catalogue.StreamChanged -= OnStreamChanged;
        EndAll();
    }
}
