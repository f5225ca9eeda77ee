using GrpcStream.Edge.Settings;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Auth;

/// <summary>
/// Checks at start-up what only authentication's own parsers can judge: each user's password (plain or a hash),
/// stream globs, permissions and address blocks, and <c>Edge:Http:TrustedAddresses</c>. The rest of the settings
/// are checked by <see cref="EdgeOptionsValidator"/>.
/// </summary>
internal sealed class AuthOptionsValidator : IValidateOptions<EdgeOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeOptions options)
    {
        var failures = new List<string>();
        foreach (var (index, user) in options.Auth.Users.Index())
        {
            if (string.IsNullOrEmpty(user.Password))
            {
                continue; // said by EdgeOptionsValidator
            }

            try
            {
                _ = new EdgeUser(user);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                failures.Add($"Edge:Auth:Users:{index}: {ex.Message}");
            }
        }

        foreach (var trusted in options.Http.TrustedAddresses)
        {
            try
            {
                _ = TrustedAddresses.Parse(trusted);
            }
            catch (FormatException ex)
            {
                failures.Add($"Edge:Http:TrustedAddresses: {ex.Message}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
