using System.Text;

namespace GrpcStream.Cli.Output;

/// <summary>Rows as aligned columns under a header, every cell made printable.</summary>
internal static class TextTable
{
    public static string Format(IReadOnlyList<string> header, IEnumerable<string[]> rows)
    {
        var printable = rows.Select(r => r.Select(Printable.Line).ToArray()).ToList();
        var widths = header.Select((h, i) => printable.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        foreach (var row in printable.Prepend([.. header]))
        {
            text.Append(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd()).Append('\n');
        }

        return text.ToString();
    }
}
