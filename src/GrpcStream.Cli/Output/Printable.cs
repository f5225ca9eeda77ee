using System.Globalization;
using System.Text;

namespace GrpcStream.Cli.Output;

/// <summary>
/// Text from a server made safe for a terminal: control characters (C0, DEL, C1) are shown as <c>\xHH</c>, so a
/// reason phrase or an SDP cannot move the cursor, retitle the window or hide what is printed.
/// </summary>
internal static class Printable
{
    /// <summary>One line: every control character escaped, line breaks included.</summary>
    public static string Line(string text) => Escape(text, keepLineFeeds: false);

    /// <summary>Several lines: CRLF and LF become LF, every other control character is escaped.</summary>
    public static string Lines(string text) => Escape(text.Replace("\r\n", "\n", StringComparison.Ordinal), keepLineFeeds: true);

    private static string Escape(string text, bool keepLineFeeds)
    {
        if (!text.Any(c => IsControl(c) && !(keepLineFeeds && c == '\n')))
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (IsControl(c) && !(keepLineFeeds && c == '\n'))
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    private static bool IsControl(char c) => c < 0x20 || c is >= (char)0x7F and <= (char)0x9F;
}
