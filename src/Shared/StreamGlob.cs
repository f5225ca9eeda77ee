using System.Text;
using System.Text.RegularExpressions;

namespace GrpcStream.Shared;

/// <summary>
/// A stream-name pattern: <c>*</c> matches within one path segment, <c>**</c> across them, <c>?</c> one character.
/// The edge's users and the origin's per-stream settings name streams with it, so both read a pattern alike.
/// </summary>
internal sealed class StreamGlob
{
    private readonly Regex _regex;

    public StreamGlob(string pattern)
    {
        Pattern = pattern;
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                regex.Append(".*");
                i++;
            }
            else
            {
                regex.Append(pattern[i] switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    var c => Regex.Escape(c.ToString()),
                });
            }
        }

        _regex = new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
    }

    public string Pattern { get; }

    public bool Matches(string stream) => _regex.IsMatch(stream);
}
