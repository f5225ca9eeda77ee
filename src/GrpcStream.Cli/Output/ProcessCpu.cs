using System.Globalization;

namespace GrpcStream.Cli.Output;

/// <summary>
/// CPU time (user plus system) of a process, read from <c>/proc/PID/stat</c>: what the bench reports for the
/// server it loads and for itself, so that a figure can be checked against the generator's own cost.
/// </summary>
internal static class ProcessCpu
{
    /// <summary>The process's CPU time so far; null when it cannot be read (no such process, not Linux).</summary>
    public static TimeSpan? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name is in parentheses and may hold spaces: fields are counted after its closing one.
        // utime and stime are fields 14 and 15 of the line, so 12th and 13th after the name.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        if (fields.Length < 13
            || !long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
            || !long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system))
        {
            return null;
        }

        // Clock ticks: 100 per second on every Linux this runs on (USER_HZ).
        return TimeSpan.FromSeconds((user + system) / 100.0);
    }
}
