using GrpcStream.Rtsp.Client;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Rtsp.Tests.Client;

/// <summary>The connection under players and publishers: logging in, warnings as values, the traffic as on the wire.</summary>
public class RtspClientConnectionTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_basic_only_server_is_answered_with_a_warning_value_told_once()
    {
        await using var server = new RecordingServer(challenge: "Basic realm=\"scripted\"");
        var warnings = new List<RtspClientWarning>();
        await using var connection = new RtspClientConnection(
            server.Url.Replace("rtsp://", "rtsp://alice:wonderland@", StringComparison.Ordinal),
            new RtspClientOptions { Warning = warnings.Add });

        await connection.OptionsAsync(Token);
        await connection.OptionsAsync(Token);

        Assert.Equal([RtspClientWarning.BasicAuthenticationOnly], warnings);
        Assert.Contains("ANNOUNCE", connection.ServerMethods);
        Assert.All(server.Requests.Skip(1), r => Assert.StartsWith("Basic ", r.GetHeader("Authorization"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_traffic_is_each_request_and_its_answer_as_they_crossed_the_wire()
    {
        await using var server = new RecordingServer();
        await using var connection = new RtspClientConnection(server.Url, new RtspClientOptions { UserAgent = "tester" });
        var traffic = new List<string>();
        connection.Traffic += traffic.Add;

        var response = await connection.OptionsAsync(Token);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(2, traffic.Count);
        Assert.StartsWith($"OPTIONS {server.Url} RTSP/1.0\r\n", traffic[0], StringComparison.Ordinal);
        Assert.Contains("User-Agent: tester\r\n", traffic[0], StringComparison.Ordinal);
        Assert.Equal("RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, ANNOUNCE, SETUP, RECORD, TEARDOWN\r\n\r\n", traffic[1]);
        Assert.Equal(RtspMethod.Options, Assert.Single(server.Requests).Method);
    }

    [Fact]
    public void A_url_that_is_not_rtsp_is_refused_before_any_connection()
    {
        var refused = Assert.Throws<RtspClientException>(() => new RtspClientConnection("http://example.com/x"));
        Assert.Contains("http://example.com/x", refused.Message, StringComparison.Ordinal);
    }
}
