using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Auth;

/// <summary>
/// Asks an HTTP service (<c>Edge:Auth:HttpHook</c>) about credentials no configured user has: the edge POSTs
/// <c>{user, password, address, stream, action, protocol}</c> as JSON (protocol: rtsp, rtsps, http or https) and
/// allows on any 2xx. Answers are cached for <c>HttpHookCacheTime</c>, so a player's every request does not cost a call; a hook that does not answer
/// within <c>HttpHookTimeout</c>, or fails, denies. The hook needs the password, so it sees Basic credentials only.
/// </summary>
internal sealed class AuthHook : IDisposable
{
    /// <summary>Answers remembered at once; past it the cache starts again.</summary>
    public const int MaxCached = 10_000;

    private readonly HttpClient? _http;
    private readonly AuthSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger<AuthHook> _logger;
    private readonly ConcurrentDictionary<string, (bool Allowed, long At)> _cache = new(StringComparer.Ordinal);

    public AuthHook(IOptions<EdgeOptions> options, TimeProvider time, ILogger<AuthHook> logger)
    {
        _settings = options.Value.Auth;
        _time = time;
        _logger = logger;
        if (_settings.HttpHook is { Length: > 0 })
        {
            _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        }
    }

    public bool Enabled => _http is not null;

    public async Task<bool> AllowsAsync(string user, string password, IPAddress address, string? stream, Permission action, string protocol, CancellationToken cancellationToken)
    {
        var key = Key(user, password, address, stream, action, protocol);
        var now = _time.GetTimestamp();
        if (_cache.TryGetValue(key, out var cached) && _time.GetElapsedTime(cached.At, now) < _settings.HttpHookCacheTime)
        {
            return cached.Allowed;
        }

        var allowed = await AskAsync(user, password, address, stream, action, protocol, cancellationToken).ConfigureAwait(false);
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }

        _cache[key] = (allowed, _time.GetTimestamp());
        return allowed;
    }

    private async Task<bool> AskAsync(string user, string password, IPAddress address, string? stream, Permission action, string protocol, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.HttpHookTimeout);
        try
        {
            using var response = await _http!.PostAsJsonAsync(
                new Uri(_settings.HttpHook!),
                new HookQuestion(user, password, address.ToString(), stream ?? string.Empty, action.ToString().ToLowerInvariant(), protocol),
                timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            EdgeLog.AuthHookFailed(_logger, _settings.HttpHook!, ex is OperationCanceledException ? $"no answer within {_settings.HttpHookTimeout.TotalSeconds:0.#} s" : ex.Message);
            return false;
        }
    }

    // The password is part of the key only as a hash: the cache never holds it.
    private static string Key(string user, string password, IPAddress address, string? stream, Permission action, string protocol) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{user}\n{password}\n{address}\n{stream}\n{action}\n{protocol}")));

    public void Dispose() => _http?.Dispose();

    private sealed record HookQuestion(string User, string Password, string Address, string Stream, string Action, string Protocol);
}
