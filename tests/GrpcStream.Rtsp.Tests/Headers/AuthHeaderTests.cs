using GrpcStream.Rtsp.Headers;

namespace GrpcStream.Rtsp.Tests.Headers;

public class AuthHeaderTests
{
    [Fact]
    public void Reads_digest_parameters_quoted_and_bare_and_basic_tokens()
    {
        Assert.True(AuthHeader.TryParse("Digest username=\"al\\\"ice\", realm=\"R, S\", nc=00000001, qop=auth", out var digest));
        Assert.True(digest.IsScheme("digest"));
        Assert.Equal(("al\"ice", "R, S", "00000001", "auth"), (digest["username"], digest["realm"], digest["nc"], digest["qop"]));

        Assert.True(AuthHeader.TryParse("Basic YWxpY2U6d29uZGVy", out var basic));
        Assert.Equal("YWxpY2U6d29uZGVy", basic.Token);
        Assert.True(AuthHeader.TryParse("Basic YWxpY2U6d29uZA==", out var padded));
        Assert.Equal("YWxpY2U6d29uZA==", padded.Token);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Digest username=\"unterminated")]
    [InlineData("Digest a=1, a=2")]
    [InlineData("Digest a=1 b=2")]
    [InlineData("Digest =1")]
    [InlineData("Basic not base64!")]
    [InlineData("Dig\u0001est a=1")]
    public void Refuses_what_is_not_well_formed(string value) => Assert.False(AuthHeader.TryParse(value, out _));

    [Fact]
    public void Random_input_is_read_or_refused_never_thrown_on()
    {
        const string alphabet = "Digest Basic username=\"\\,;:= realm nonce uri response qop nc cnonce abc012+/=\t\u00e9\u0000";
        var random = new Random(7);
        var parsed = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var length = random.Next(0, 120);
            var text = string.Create(length, random, (span, r) =>
            {
                for (var j = 0; j < span.Length; j++)
                {
                    span[j] = alphabet[r.Next(alphabet.Length)];
                }
            });
            parsed += AuthHeader.TryParse(text, out var header) && header.Parameters.Count <= AuthHeader.MaxParameters ? 1 : 0;
        }

        Assert.InRange(parsed, 1, 19_999);
    }
}
