using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Settings;

/// <summary>
/// Lets every list setting of <c>Edge:Auth</c> (and the control tokens, and the origins) be one comma-separated value (<c>Edge__Auth__Users__0__Streams=cam*,lab*</c>)
/// as well as indexed children. The configuration binder reads only the children and would leave a list given as
/// one value unset, and an unset list means "all streams": a value that binds to nothing must never widen access.
/// </summary>
internal sealed class CommaSeparatedLists(IConfiguration configuration) : IPostConfigureOptions<EdgeOptions>
{
    public void PostConfigure(string? name, EdgeOptions options)
    {
        var auth = configuration.GetSection($"{EdgeOptions.SectionName}:Auth");
        options.Auth.Methods = Read(auth.GetSection("Methods"), options.Auth.Methods);
        options.Origin.Addresses = Read(configuration.GetSection($"{EdgeOptions.SectionName}:Origin:Addresses"), options.Origin.Addresses);
        options.Control.Tokens = Read(configuration.GetSection($"{EdgeOptions.SectionName}:Control:Tokens"), options.Control.Tokens);
        foreach (var (index, user) in options.Auth.Users.Index())
        {
            var section = auth.GetSection($"Users:{index}");
            user.Streams = Read(section.GetSection("Streams"), user.Streams);
            user.Permissions = Read(section.GetSection("Permissions"), user.Permissions);
            user.Addresses = Read(section.GetSection("Addresses"), user.Addresses);
        }
    }

    // A value present but empty is an empty list (nothing allowed), never "unset".
    private static List<string>? Read(IConfigurationSection section, List<string>? bound) => section.Value is { } value
        ? [.. value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)]
        : bound;
}
