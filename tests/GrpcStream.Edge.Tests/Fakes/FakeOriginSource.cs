using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Google.Protobuf;
using GrpcStream.Edge.Origin;
using GrpcStream.Protos.Origin.V1;

namespace GrpcStream.Edge.Tests.Fakes;

/// <summary>
/// An origin without a socket: the test declares its streams, sees each watch a hub starts, and pushes frames into
/// it on the test's own thread, so that what the hub does with them is done by the time the push returns.
/// </summary>
internal sealed class FakeOriginSource : IOriginSource
{
    private readonly Channel<FakeWatch> _started = Channel.CreateUnbounded<FakeWatch>();
    private readonly ConcurrentDictionary<string, StreamDescription> _streams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[][]> _films = new(StringComparer.Ordinal);
    private int _watches;

    /// <summary>What <see cref="IsReceiving"/> answers: the link's belief, which the hub must not need.</summary>
    public bool Receiving { get; set; } = true;

    /// <summary>How many watches were started, in all.</summary>
    public int WatchesStarted => Volatile.Read(ref _watches);

    public void Add(string name, double frameRate = 25) =>
        _streams[name] = new StreamDescription { Name = name, FrameRate = frameRate };

    public Task<StreamDescription> DescribeAsync(string name, CancellationToken cancellationToken) =>
        _streams.TryGetValue(name, out var description)
            ? Task.FromResult(description)
            : Task.FromException<StreamDescription>(new StreamNotFoundException(name));

    public bool IsReceiving(string name) => Receiving;

    public async Task WatchAsync(string name, Action<OriginFrame> onFrame, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _watches);
        var watch = new FakeWatch(name, onFrame, cancellationToken);
        _started.Writer.TryWrite(watch);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (cancellationToken.Register(() => cancelled.TrySetResult()))
        {
            await cancelled.Task;
        }

        watch.End();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>A film of <paramref name="frames"/> frames: frame i's JPEG is <paramref name="jpeg"/>(i).</summary>
    public void AddFilm(string name, int frames, Func<int, byte[]> jpeg, double frameRate = 25)
    {
        _streams[name] = new StreamDescription { Name = name, FrameRate = frameRate, FrameCount = (uint)frames, Mode = StreamMode.OnDemand, DurationSeconds = frames / frameRate };
        _films[name] = [.. Enumerable.Range(0, frames).Select(jpeg)];
    }

    /// <summary>While set, ReadFrames waits for it (a slow origin), then fails if it faulted (origins down).</summary>
    public TaskCompletionSource? ReadGate { get; set; }

    /// <summary>Every ReadFrames call: the film and the first index asked.</summary>
    public ConcurrentQueue<(string Film, ulong First, int Max)> Reads { get; } = new();

    public async Task ReadFramesAsync(string name, ulong firstIndex, int maxFrames, Action<OriginFrame> onFrame, CancellationToken cancellationToken)
    {
        Reads.Enqueue((name, firstIndex, maxFrames));
        if (ReadGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (!_films.TryGetValue(name, out var film))
        {
            throw new StreamNotFoundException(name);
        }

        var reused = new OriginFrame();
        for (var index = firstIndex; index < (ulong)film.Length && index < firstIndex + (ulong)maxFrames; index++)
        {
            var message = new Frame { Sequence = index, Pts90Khz = index * 3600, Jpeg = ByteString.CopyFrom(film[index]) }.ToByteArray();
            onFrame(reused.ReadFrom(new ReadOnlySequence<byte>(message)));
        }
    }

    /// <summary>The next watch a hub starts (they come in order), waited for with a deadline.</summary>
    public async Task<FakeWatch> NextWatchAsync() =>
        await _started.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>True when no watch was started that the test has not taken.</summary>
    public bool NoWatchWaiting => !_started.Reader.TryPeek(out _);
}

/// <summary>One hub's watch of one stream: frames go in through <see cref="Push"/>.</summary>
internal sealed class FakeWatch(string name, Action<OriginFrame> onFrame, CancellationToken token)
{
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly OriginFrame _frame = new();

    public string Name { get; } = name;

    /// <summary>Cancelled when the hub stops watching.</summary>
    public CancellationToken Token { get; } = token;

    /// <summary>Completes when the watch has returned.</summary>
    public Task Ended => _ended.Task;

    /// <summary>Hands one frame to the hub, as the gRPC link does: read into a reused <see cref="OriginFrame"/>.</summary>
    public void Push(ulong sequence, ulong pts, byte[] jpeg)
    {
        var message = new Frame { Sequence = sequence, Pts90Khz = pts, Jpeg = ByteString.CopyFrom(jpeg) }.ToByteArray();
        onFrame(_frame.ReadFrom(new ReadOnlySequence<byte>(message)));
    }

    internal void End() => _ended.TrySetResult();
}
