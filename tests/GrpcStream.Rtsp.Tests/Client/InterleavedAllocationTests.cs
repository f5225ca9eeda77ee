using GrpcStream.Rtsp.Client;
using GrpcStream.Testing;

namespace GrpcStream.Rtsp.Tests.Client;

/// <summary>
/// What a load generator's TCP reception allocates per packet, once warm: nothing. Counted over the whole process
/// (the read loop moves between threads), so it runs with no other test alongside, and the bound leaves room for
/// the few allocations that are not per packet (a receiver report, the test's own polling).
/// </summary>
[Collection(nameof(AllocationCounts))]
public class InterleavedAllocationTests
{
    [Fact]
    public async Task A_load_generator_receives_interleaved_packets_without_allocating()
    {
        await using var server = new InterleavedFloodServer(await InterleavedReceptionTests.JpegAsync());
        await using var client = new RtspPlayer(server.Url, new RtspPlayerOptions { Transport = RtspTransport.Tcp, DeliverFrames = false });
        await client.PlayAsync(TestContext.Current.CancellationToken);

        // Warm: code compiled, pools filled, buffers of every size the reads take rented once.
        await ReceiveAsync(client, server, server.Prepare(500), 500);
        // Prepared before anything is counted: the server's own arrays are not the client's.
        var measured = new[] { server.Prepare(2000), server.Prepare(2000), server.Prepare(2000) };
        var straddledBefore = client.StraddledPayloads;

        // The fewest bytes of three windows: an allocation per packet shows in every one, while a burst of the
        // process's own (the test runner reporting, a runtime thread starting) lands in one window at most.
        var windows = new List<(long Allocated, long Packets)>();
        for (var i = 0; i < 3; i++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var packets = await ReceiveAsync(client, server, measured[i], 2000);
            windows.Add((GC.GetTotalAllocatedBytes(precise: true) - before, packets));
        }

        var (allocated, counted) = windows.MinBy(w => w.Allocated);

        // Splitting a packet between reads once allocated it whole (about 1.4 KB here): a few per read add up to
        // hundreds of bytes per packet.
        Assert.True(client.StraddledPayloads > straddledBefore, "no packet was split between two reads: the test did not test that");
        Assert.True(allocated < counted * 4L, $"{allocated} bytes allocated for {counted} packets ({allocated / (double)counted:0.00} per packet; windows: {string.Join(", ", windows.Select(w => w.Allocated))})");
    }

    private static async Task<long> ReceiveAsync(RtspPlayer client, InterleavedFloodServer server, byte[] prepared, int frames)
    {
        var start = client.GetStatistics().Packets;
        await server.SendAsync(prepared);
        var packets = frames * server.PacketsPerFrame;
        await Eventually.HoldsAsync(() => client.GetStatistics().Packets - start >= packets, $"{packets} more packets received");
        Assert.Equal(0, client.GetStatistics().LostPackets);
        return packets;
    }
}

/// <summary>Tests that count the process's allocations, run with no other test alongside.</summary>
[CollectionDefinition(nameof(AllocationCounts), DisableParallelization = true)]
public sealed class AllocationCounts;
