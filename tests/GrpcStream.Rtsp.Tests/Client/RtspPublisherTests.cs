using System.Text;
using GrpcStream.Rtsp.Client;
using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Rtp;
using GrpcStream.Testing;

namespace GrpcStream.Rtsp.Tests.Client;

/// <summary>The publisher on the wire: ANNOUNCE, SETUP mode=record, RECORD, frames as RTP/JPEG, TEARDOWN.</summary>
public class RtspPublisherTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Announces_one_jpeg_track_records_it_and_sends_frames_that_rebuild_on_the_channel_the_server_chose()
    {
        var jpeg = await InterleavedReceptionTests.JpegAsync();
        await using var server = new RecordingServer();
        await using var publisher = new RtspPublisher(server.Url);

        await publisher.RecordAsync(25, 320, 240, Token);
        Assert.Equal(RtspClientState.Recording, publisher.State);
        Assert.Equal(RecordingServer.SessionId, publisher.Connection.SessionId);
        await publisher.SendFrameAsync(jpeg, 0, Token);
        await publisher.SendFrameAsync(jpeg, 3600, Token);
        await publisher.TeardownAsync(Token);
        Assert.Equal(RtspClientState.Init, publisher.State);
        Assert.Null(publisher.Connection.SessionId);

        var requests = server.Requests;
        Assert.Equal([RtspMethod.Announce, RtspMethod.Setup, RtspMethod.Record, RtspMethod.Teardown], requests.Select(r => r.Method));
        var sdp = Encoding.UTF8.GetString(requests[0].Body.Span);
        Assert.Equal("application/sdp", requests[0].GetHeader("Content-Type"));
        Assert.Contains("a=rtpmap:26 JPEG/90000", sdp, StringComparison.Ordinal);
        Assert.EndsWith("/live/cam/track1", requests[1].Uri, StringComparison.Ordinal);
        Assert.Contains("mode=record", requests[1].GetHeader("Transport"), StringComparison.Ordinal);
        Assert.Equal(RecordingServer.SessionId, requests[2].GetHeader("Session"));
        Assert.Equal(RecordingServer.SessionId, requests[3].GetHeader("Session"));

        // Both frames, whole, on the RTP channel the SETUP answer named (4), one SSRC, sequence numbers in a row.
        var packets = server.Interleaved;
        Assert.All(packets, p => Assert.Equal(4, p.Channel));
        var depacketizer = new RtpJpegDepacketizer();
        var frames = new List<(uint Timestamp, byte[] Jpeg)>();
        var headers = new List<RtpHeader>();
        foreach (var (_, payload) in packets)
        {
            Assert.Equal(RtpPacketError.None, RtpPacket.TryParse(payload, out var packet));
            headers.Add(packet.Header);
            if (depacketizer.Push(packet.Header.Timestamp, packet.Header.Marker, packet.PayloadOf(payload), out var rebuilt))
            {
                frames.Add((packet.Header.Timestamp, rebuilt.ToArray()));
            }
        }

        Assert.Equal([0u, 3600u], frames.Select(f => f.Timestamp));
        Assert.All(frames, f => Assert.True(JpegParser.TryParse(f.Jpeg, out var info) && info.Width == 320 && info.Height == 240));
        Assert.Single(headers.Select(h => h.Ssrc).Distinct());
        Assert.All(headers.Zip(headers.Skip(1)), pair => Assert.Equal((ushort)(pair.First.SequenceNumber + 1), pair.Second.SequenceNumber));
        Assert.All(headers, h => Assert.Equal(RtpJpegHeader.PayloadType, h.PayloadType));
    }

    [Fact]
    public async Task A_frame_before_record_is_answered_is_refused_and_an_image_cut_short_says_why()
    {
        var jpeg = await InterleavedReceptionTests.JpegAsync();
        await using var server = new RecordingServer();
        await using var publisher = new RtspPublisher(server.Url);

        await Assert.ThrowsAsync<InvalidOperationException>(() => publisher.SendFrameAsync(jpeg, 0, Token));
        await publisher.RecordAsync(25, 320, 240, Token);
        var refused = await Assert.ThrowsAsync<RtpJpegException>(() => publisher.SendFrameAsync(jpeg.AsMemory(0, jpeg.Length / 2), 0, Token));
        Assert.Equal(RtpJpegIncompatibility.NotBaseline, refused.Reason);
        Assert.Empty(server.Interleaved);
    }

    [Fact]
    public async Task Disposing_a_recording_publisher_tears_its_session_down()
    {
        await using var server = new RecordingServer();
        await using (var publisher = new RtspPublisher(server.Url))
        {
            await publisher.RecordAsync(25, 320, 240, Token);
        }

        await Eventually.HoldsAsync(() => server.Requests.Any(r => r.Method == RtspMethod.Teardown), "a TEARDOWN sent on dispose");
    }
}
