using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrpcStream.ServiceDefaults;

/// <summary>Exit codes the services use, so that scripts and container runtimes can tell failures apart.</summary>
public static class ServiceExitCode
{
    public const int Success = 0;

    /// <summary>The configuration is invalid (a bad option value or flag).</summary>
    public const int InvalidConfiguration = 2;

    /// <summary>A listening address could not be bound (port in use, permission).</summary>
    public const int CannotListen = 3;
}

/// <summary>
/// Runs a service and turns start-up failures into one line on standard error and a distinct exit code,
/// instead of a stack trace: an operator who set a wrong frame rate wants to read which one.
/// </summary>
public static class ServiceRunner
{
    public static async Task<int> RunAsync(string serviceName, Func<WebApplication> build, TextWriter? error = null)
    {
        ArgumentNullException.ThrowIfNull(build);
        error ??= Console.Error;
        try
        {
            await using var app = build();

            // Validate options before the host starts: the host would log the same failure again, with a stack trace.
            app.Services.GetService<IStartupValidator>()?.Validate();
            await app.RunAsync();
            return ServiceExitCode.Success;
        }
        catch (Exception ex) when (Describe(ex) is { } failure)
        {
            await error.WriteLineAsync($"{serviceName}: {failure.Message}");
            return failure.ExitCode;
        }
    }

    /// <summary>The one-line reason and exit code for a start-up failure, or null for an unexpected one (which propagates).</summary>
    public static (string Message, int ExitCode)? Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            OptionsValidationException e => ("invalid configuration: " + string.Join("; ", e.Failures), ServiceExitCode.InvalidConfiguration),
            // Binding "abc" to a number fails in the configuration binder: a readable message around a FormatException.
            InvalidOperationException e when Causes(e).Any(c => c is FormatException or OverflowException)
                => ("invalid configuration: " + e.Message, ServiceExitCode.InvalidConfiguration),
            // Kestrel reports a port it cannot bind as an IOException around the socket's own error.
            IOException { InnerException: AddressInUseException or SocketException } e => ("cannot listen: " + e.Message, ServiceExitCode.CannotListen),
            SocketException e => ("cannot listen: " + e.Message, ServiceExitCode.CannotListen),
            _ => null,
        };
    }

    private static IEnumerable<Exception> Causes(Exception exception)
    {
        for (var e = exception.InnerException; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}
