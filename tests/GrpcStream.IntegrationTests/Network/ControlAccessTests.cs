using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Network;

/// <summary>
/// The control API without tokens, called from another host: a real second address, since every 127.x address is
/// loopback. The edge runs in one network namespace and the CLI calls it from the other.
/// </summary>
public class ControlAccessTests
{
    private const int ControlPort = 8090;

    [Fact]
    public async Task Without_tokens_a_caller_from_another_address_is_refused_with_the_reason_and_loopback_is_answered()
    {
        IsolatedLink.RequireRoot();
        await using var link = await IsolatedLink.CreateAsync();
        await using var edge = ServiceProcess.Start("Edge",
            ["--rtsp-port", "0", "--http-port", "0", "--rtp-port", "0", $"--Edge:Control:Port={ControlPort}"],
            launcher: IsolatedLink.Inside(link.Right));
        await Eventually.HoldsAsync(() => edge.Output.Any(l => l.Contains("Edge serving RTSP", StringComparison.Ordinal)), "the edge listening", TimeSpan.FromSeconds(60));

        var (remoteExit, remote) = await RunCliAsync(link.Left, "sessions", "list", "--edge", $"http://{IsolatedLink.RightAddress}:{ControlPort}");
        var (localExit, local) = await RunCliAsync(link.Right, "sessions", "list", "--edge", $"http://127.0.0.1:{ControlPort}");

        Assert.True(remoteExit == 6, string.Join('\n', remote));
        Assert.Equal(
            $"stderr: grpcstream: the control API refused the call: the control API answers {IsolatedLink.LeftAddress} only with a token: set Edge:Control:Tokens (without tokens it answers loopback only)",
            Assert.Single(remote));
        Assert.True(localExit == 0, string.Join('\n', local));
        Assert.StartsWith("ID ", Assert.Single(local), StringComparison.Ordinal);
    }

    private static async Task<(int Exit, IReadOnlyCollection<string> Output)> RunCliAsync(string ns, params string[] arguments)
    {
        await using var cli = ServiceProcess.Start("Cli", arguments, launcher: IsolatedLink.Inside(ns));
        var exit = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        await Eventually.HoldsAsync(() => cli.Output.Count > 0, "the CLI's output read");
        return (exit, cli.Output);
    }
}
