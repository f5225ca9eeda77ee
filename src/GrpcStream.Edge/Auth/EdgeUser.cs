using System.Net;
using GrpcStream.Edge.Settings;
using GrpcStream.Shared;
using GrpcStream.Shared.Net;

namespace GrpcStream.Edge.Auth;

[Flags]
internal enum Permission
{
    None = 0,
    Read = 1,
    Publish = 2,
    Metrics = 4,
}

/// <summary>A configured user, checked and compiled once at start-up.</summary>
internal sealed class EdgeUser
{
    private readonly StreamGlob[]? _streams;
    private readonly IPNetwork[]? _addresses;

    /// <exception cref="FormatException">A setting that cannot be understood (the validator reports it at start-up).</exception>
    public EdgeUser(UserSettings settings)
    {
        Name = settings.Name;
        Password = StoredPassword.Parse(settings.Password);
        _streams = settings.Streams?.Select(p => new StreamGlob(p)).ToArray();
        _addresses = settings.Addresses?.Select(a => IPNetwork.TryParse(a, out var network)
            ? network
            : IPAddress.TryParse(a, out var single) ? new IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
            : throw new FormatException($"'{a}' is not an address or a CIDR block")).ToArray();
        Permissions = settings.Permissions is null ? Permission.Read : settings.Permissions.Aggregate(Permission.None, (all, p) => all | ParsePermission(p));
    }

    public string Name { get; }

    public StoredPassword Password { get; }

    public Permission Permissions { get; }

    public bool MayUse(string? stream) => stream is null || _streams is null || _streams.Any(g => g.Matches(stream));

    public bool MayComeFrom(IPAddress address)
    {
        if (_addresses is null)
        {
            return true;
        }

        var plain = PlainAddress.Of(address);
        return _addresses.Any(n => n.Contains(plain));
    }

    public static Permission ParsePermission(string name) => name.ToLowerInvariant() switch
    {
        "read" => Permission.Read,
        "publish" => Permission.Publish,
        "metrics" => Permission.Metrics,
        _ => throw new FormatException($"'{name}' is not a permission (read, publish, metrics)"),
    };
}
