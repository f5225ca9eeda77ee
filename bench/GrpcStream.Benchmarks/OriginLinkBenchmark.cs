using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcStream.Protos.Origin.V1;

namespace GrpcStream.Benchmarks;

/// <summary>
/// <c>origin-link ADDRESS STREAM SUBSCRIBERS SECONDS</c>: that many WatchFrames calls on one stream, each on its
/// own channel (its own HTTP/2 connection, as separate edges would have), read for that long after a second of
/// warm-up. Prints frames and bytes per second per subscriber and the sequence numbers that never arrived (frames
/// the origin dropped because a subscriber read too slowly).
/// </summary>
internal static class OriginLinkBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 4 || !int.TryParse(args[2], CultureInfo.InvariantCulture, out var subscribers) || !double.TryParse(args[3], CultureInfo.InvariantCulture, out var seconds))
        {
            await Console.Error.WriteLineAsync("usage: origin-link ADDRESS STREAM SUBSCRIBERS SECONDS");
            return 2;
        }

        var (address, stream) = (args[0], args[1]);
        using var stop = new CancellationTokenSource();
        var counters = new Counter[subscribers];
        var measuring = new TaskCompletionSource();
        var readers = Enumerable.Range(0, subscribers).Select(i => Task.Run(async () =>
        {
            counters[i] = new Counter();
            using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
            var client = new MediaOrigin.MediaOriginClient(channel);
            using var call = client.WatchFrames(new WatchFramesRequest { Name = stream }, cancellationToken: stop.Token);
            try
            {
                await foreach (var frame in call.ResponseStream.ReadAllAsync(stop.Token))
                {
                    if (measuring.Task.IsCompleted)
                    {
                        counters[i].Add(frame.Sequence, frame.Jpeg.Length);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && stop.IsCancellationRequested)
            {
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(1));
        var clock = Stopwatch.StartNew();
        measuring.SetResult();
        Console.WriteLine("measuring");
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var elapsed = clock.Elapsed.TotalSeconds;
        var snapshot = counters.Select(c => c.Snapshot()).ToArray();
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        var frames = snapshot.Sum(s => s.Frames);
        var bytes = snapshot.Sum(s => s.Bytes);
        var missing = snapshot.Sum(s => s.Missing);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"subscribers {subscribers}: {frames / elapsed / subscribers:0.0} frames/s and {bytes / elapsed / subscribers / 1e6:0.00} MB/s each, {bytes / elapsed / 1e6:0.00} MB/s in all, {missing} frames missing"));
        return 0;
    }

    private sealed class Counter
    {
        private readonly Lock _lock = new();
        private long _frames;
        private long _bytes;
        private long _missing;
        private ulong? _last;

        public void Add(ulong sequence, int length)
        {
            lock (_lock)
            {
                if (_last is { } last && sequence > last + 1)
                {
                    _missing += (long)(sequence - last - 1);
                }

                _last = sequence;
                _frames++;
                _bytes += length;
            }
        }

        public (long Frames, long Bytes, long Missing) Snapshot()
        {
            lock (_lock)
            {
                return (_frames, _bytes, _missing);
            }
        }
    }
}
