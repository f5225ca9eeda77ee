using System.Security.Cryptography;
using System.Text;
using GrpcStream.Edge.Auth;
using GrpcStream.Shared;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Edge.Tests.Auth;

/// <summary>The pieces of authentication on their own: globs, stored passwords, nonces. No I/O.</summary>
public class AuthPartsTests
{
    [Theory]
    [InlineData("cam*", "cam1", true)]
    [InlineData("cam*", "cam1/sub", false)]
    [InlineData("cam/**", "cam/a/b", true)]
    [InlineData("**", "any/thing", true)]
    [InlineData("movie.Mjpeg", "movie.Mjpeg", true)]
    [InlineData("movie.Mjpeg", "movieXMjpeg", false)]
    [InlineData("lab?", "lab1", true)]
    [InlineData("lab?", "lab12", false)]
    public void Globs_match_as_documented(string pattern, string stream, bool matches) =>
        Assert.Equal(matches, new StreamGlob(pattern).Matches(stream));

    [Fact]
    public void Stored_passwords_check_what_basic_sends()
    {
        var sha = StoredPassword.Parse("sha256:" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes("s3cret"))));
        var argon = StoredPassword.Parse("argon2:" + Isopoh.Cryptography.Argon2.Argon2.Hash("s3cret", timeCost: 1, memoryCost: 1024, parallelism: 1));
        var plain = StoredPassword.Parse("s3cret");

        foreach (var password in new[] { sha, argon, plain })
        {
            Assert.True(password.Verify("s3cret"));
            Assert.False(password.Verify("s3cret "));
        }

        Assert.Equal((null, null, "s3cret"), (sha.Plain, argon.Plain, plain.Plain));
        Assert.Throws<FormatException>(() => StoredPassword.Parse("sha256:not base64!"));
        Assert.Throws<FormatException>(() => StoredPassword.Parse("argon2:plain"));
    }

    [Fact]
    public void Nonces_are_ours_expire_and_count_up()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var nonces = new DigestNonces(time, TimeSpan.FromMinutes(5));
        var nonce = nonces.Issue();

        Assert.Equal(NonceState.Fresh, nonces.Check(nonce));
        Assert.Equal(NonceState.Invalid, nonces.Check(new DigestNonces(time, TimeSpan.FromMinutes(5)).Issue()));
        Assert.Equal(NonceState.Invalid, nonces.Check(nonce[..^2] + (nonce[^2..] == "00" ? "01" : "00")));
        Assert.Equal(NonceState.Invalid, nonces.Check("not hex"));
        Assert.True(nonces.TakeCount(nonce, 1));
        Assert.True(nonces.TakeCount(nonce, 2));
        Assert.False(nonces.TakeCount(nonce, 2));

        time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(NonceState.Stale, nonces.Check(nonce));
    }

    [Fact]
    public void Failed_attempts_wait_longer_each_time_up_to_the_cap_and_a_success_forgives()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var attempts = new FailedAttempts(time, TimeSpan.FromSeconds(1));
        var address = System.Net.IPAddress.Parse("192.0.2.1");

        var delays = Enumerable.Range(0, 6).Select(_ => attempts.Failed(address).TotalMilliseconds).ToArray();
        attempts.Succeeded(address);

        Assert.Equal([100, 200, 400, 800, 1000, 1000], delays);
        Assert.Equal(TimeSpan.FromMilliseconds(100), attempts.Failed(address));
    }
}
