using System.Diagnostics;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Network;

/// <summary>
/// Two network namespaces joined by a veth pair and nothing else: no default route, so while the link is down no
/// packet can leave either end, and no RST or ICMP tells a peer it has gone. Needs root; removed on dispose.
/// </summary>
public sealed class IsolatedLink : IAsyncDisposable
{
    public const string LeftAddress = "10.254.77.1";
    public const string RightAddress = "10.254.77.2";

    private IsolatedLink(string left, string right)
    {
        Left = left;
        Right = right;
    }

    /// <summary>The namespace at <see cref="LeftAddress"/>.</summary>
    public string Left { get; }

    /// <summary>The namespace at <see cref="RightAddress"/>.</summary>
    public string Right { get; }

    /// <summary>Skips the test, with the reason, unless the process may create namespaces.</summary>
    public static void RequireRoot()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            ExternalTool.Unavailable("Network namespaces need root (CI runs as root).");
        }

        ExternalTool.Require("ip");
    }

    public static async Task<IsolatedLink> CreateAsync()
    {
        var tag = $"{Environment.ProcessId % 10000}{Random.Shared.Next(1000):000}";
        var link = new IsolatedLink($"gs-l{tag}", $"gs-r{tag}");
        try
        {
            await IpAsync("netns", "add", link.Left);
            await IpAsync("netns", "add", link.Right);
            await IpAsync("link", "add", $"gsl{tag}", "netns", link.Left, "type", "veth", "peer", "name", $"gsr{tag}", "netns", link.Right);
            await IpAsync("-n", link.Left, "addr", "add", $"{LeftAddress}/30", "dev", $"gsl{tag}");
            await IpAsync("-n", link.Right, "addr", "add", $"{RightAddress}/30", "dev", $"gsr{tag}");
            foreach (var (ns, device) in new[] { (link.Left, $"gsl{tag}"), (link.Right, $"gsr{tag}") })
            {
                await IpAsync("-n", ns, "link", "set", "lo", "up");
                await IpAsync("-n", ns, "link", "set", device, "up");
            }

            link.RightDevice = $"gsr{tag}";
            return link;
        }
        catch
        {
            await link.DisposeAsync();
            throw;
        }
    }

    private string RightDevice { get; set; } = string.Empty;

    /// <summary>Takes the link down (or up) at the right end: silence both ways, no reset.</summary>
    public Task SetUpAsync(bool up) => IpAsync("-n", Right, "link", "set", RightDevice, up ? "up" : "down");

    /// <summary>The command line that runs <paramref name="command"/> inside <paramref name="ns"/>.</summary>
    public static string[] Inside(string ns) => ["ip", "netns", "exec", ns];

    private static async Task IpAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(ExternalTool.Find("ip") ?? "ip") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var ip = Process.Start(start)!;
        var error = await ip.StandardError.ReadToEndAsync();
        await ip.WaitForExitAsync();
        if (ip.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)}: {error.Trim()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Deleting a namespace deletes its end of the veth, and so the pair.
        foreach (var ns in new[] { Left, Right })
        {
            try
            {
                await IpAsync("netns", "del", ns);
            }
            catch (InvalidOperationException)
            {
                // Not created.
            }
        }
    }
}
