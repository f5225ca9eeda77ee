using GrpcStream.Edge.Origin;
using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Streams;
using GrpcStream.Edge.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GrpcStream.Edge.Tests.Streams;

/// <summary>
/// Films on demand without a socket: a fake origin with films, the shared cache, and sessions' cursors on a fake
/// clock. Each cursor plays from its own place at the film's rate; PAUSE holds it; a seek moves it; the end is
/// told once (or the film loops); a frame the origins do not serve yet is waited for, never skipped. The cache
/// coalesces the misses of a run, reads ahead of the players, and stays within its bytes.
/// </summary>
public sealed class FilmCursorTests : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(40); // 25 fps
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly FakeOriginSource _origin = new();
    private readonly OnDemandSettings _settings = new() { RunFrames = 8, ReadAheadFrames = 8 };
    private readonly FilmCache _cache;
    private readonly List<FilmCursor> _cursors = [];

    public FilmCursorTests()
    {
        var jpeg = EdgeParts.Jpeg();
        _origin.AddFilm("film.mjpeg", 40, _ => jpeg);
        _origin.AddFilm("short.mjpeg", 10, _ => jpeg);
        _cache = new FilmCache(_origin, _settings, 1400, _time, EdgeParts.Metrics(), NullLogger.Instance);
    }

    public void Dispose()
    {
        _cursors.ForEach(cursor => cursor.Release());
        _cache.Dispose();
    }

    private FilmCursor Cursor(string name = "film.mjpeg", int frames = 40, bool loop = false)
    {
        var cursor = new FilmCursor(new Film(name, 25, frames, loop), _cache, _time);
        _cursors.Add(cursor);
        return cursor;
    }

    /// <summary>Advances the clock a frame period at a time, so that each tick of the cursors' timers sees its own time.</summary>
    private void Run(int periods)
    {
        for (var i = 0; i < periods; i++)
        {
            _time.Advance(Period);
        }
    }

    [Fact]
    public async Task A_film_plays_from_its_first_frame_at_its_rate_pause_holds_the_place_and_play_resumes_at_the_next_frame()
    {
        var cursor = Cursor();
        var sink = new RecordingSink();
        await cursor.WaitForFirstFrameAsync(TimeSpan.FromSeconds(1), CancellationToken.None);

        cursor.Play(sink);
        Assert.Equal([0UL], sink.Sequences); // the first frame at once
        Run(5);
        Assert.Equal([0UL, 1, 2, 3, 4, 5], sink.Sequences);

        cursor.Pause(sink);
        Run(75); // 3 s paused
        Assert.Equal(6, sink.Frames.Count);
        Assert.Equal(6, cursor.Index);

        cursor.Play(sink);
        Run(2);
        Assert.Equal([0UL, 1, 2, 3, 4, 5, 6, 7, 8], sink.Sequences); // on from the next frame, not 75 frames later
        Assert.Equal(8 * 3600U, cursor.LatestTime?.Pts);
    }

    [Fact]
    public async Task A_seek_moves_the_place_clamped_to_the_film_and_the_end_is_told_once()
    {
        var cursor = Cursor("short.mjpeg", frames: 10);
        var sink = new RecordingSink();
        Assert.True(cursor.Seek(0.28)); // frame 7 (0.28 s at 25 fps)
        Assert.Equal((7L, 7 * 3600U), (cursor.Index, cursor.NextPts));
        await cursor.WaitForFirstFrameAsync(TimeSpan.FromSeconds(1), CancellationToken.None);

        cursor.Play(sink);
        Run(10);

        Assert.Equal([7UL, 8, 9], sink.Sequences);
        Assert.Equal(1, sink.Ends);

        // Played again from a place: on from there; a seek past the end is the end.
        Assert.True(cursor.Seek(0));
        cursor.Play(sink);
        Run(1);
        Assert.Equal([7UL, 8, 9, 0, 1], sink.Sequences);
        cursor.Seek(1e6);
        Assert.Equal(10, cursor.Index);
        Run(2);
        Assert.Equal(2, sink.Ends);
    }

    [Fact]
    public async Task A_looping_film_starts_again_after_its_last_frame()
    {
        var cursor = Cursor("short.mjpeg", frames: 10, loop: true);
        var sink = new RecordingSink();
        cursor.Seek(0.32);
        await cursor.WaitForFirstFrameAsync(TimeSpan.FromSeconds(1), CancellationToken.None);

        cursor.Play(sink);
        Run(4); // 9; then frame 0, fetched as the loop comes to it; then 1

        Assert.Equal([8UL, 9, 0, 1], sink.Sequences);
        Assert.Equal(0, sink.Ends);
    }

    [Fact]
    public async Task With_every_origin_down_the_film_waits_at_its_place_and_goes_on_from_there_once_frames_come()
    {
        var cursor = Cursor();
        var sink = new RecordingSink();
        await cursor.WaitForFirstFrameAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        cursor.Play(sink);
        Run(7); // frames 0-7, the first run (8 frames); read ahead: the second and third runs
        Assert.Equal(8, sink.Frames.Count);

        // The origins go away before the fourth run is asked.
        var down = new TaskCompletionSource();
        _origin.ReadGate = down;
        Run(20); // 8-23 come from the runs read ahead; the fourth (24-31) is asked and waits
        Assert.Equal(24, sink.Frames.Count);
        Run(25);
        Assert.Equal(24, sink.Frames.Count);
        Assert.Equal(24, cursor.Index);

        // A failure: asked again after the retry delay, not at every tick.
        down.SetException(new OriginUnavailableException("down"));
        await Assert.ThrowsAsync<OriginUnavailableException>(() => _cache.FetchAsync("film.mjpeg", 24));
        var asked = _origin.Reads.Count;
        _origin.ReadGate = new TaskCompletionSource();
        Run(1);
        Assert.Equal(asked, _origin.Reads.Count);
        Run((int)(_settings.RetryDelay / Period));
        Assert.True(_origin.Reads.Count > asked, "asked again after the retry delay");

        // Back: the film goes on from frame 24, nothing skipped.
        _origin.ReadGate.SetResult();
        await _cache.FetchAsync("film.mjpeg", 24);
        Run(2);
        Assert.Equal([.. Enumerable.Range(0, 26).Select(i => (ulong)i)], sink.Sequences);
    }

    [Fact]
    public async Task Many_sessions_missing_one_run_cause_one_fetch_and_a_player_reads_ahead()
    {
        var gate = new TaskCompletionSource();
        _origin.ReadGate = gate;
        var waits = Enumerable.Range(0, 20).Select(_ => Cursor().WaitForFirstFrameAsync(TimeSpan.FromSeconds(10), CancellationToken.None)).ToArray();

        Assert.Single(_origin.Reads);
        gate.SetResult();
        await Task.WhenAll(waits);
        Assert.Single(_origin.Reads);

        // Playing frame 0 reads ahead: the next run is asked before any player needs it.
        _origin.ReadGate = null;
        var sink = new RecordingSink();
        _cursors[0].Play(sink);
        Assert.Equal([0UL, 8UL], _origin.Reads.Select(r => r.First));
        Assert.Equal(1, _cache.TryGet("film.mjpeg", 8, out var ahead) == FilmFrameState.Ready ? 1 : 0);
        ahead?.Release();
    }

    [Fact]
    public async Task The_cache_stays_within_its_bytes_dropping_the_least_recently_used()
    {
        var jpeg = EdgeParts.Jpeg();
        var frames = (int)((2L << 20) / jpeg.Length); // twice what the cache holds
        _origin.AddFilm("long.mjpeg", frames, _ => jpeg);
        var small = new OnDemandSettings { CacheBytes = 1 << 20, RunFrames = 8 };
        using var cache = new FilmCache(_origin, small, 1400, _time, EdgeParts.Metrics(), NullLogger.Instance);

        for (var index = 0; index < frames; index += small.RunFrames)
        {
            await cache.FetchAsync("long.mjpeg", index);
            Assert.True(cache.Bytes <= small.CacheBytes, $"{cache.Bytes} bytes held");
        }

        Assert.Equal(FilmFrameState.Missing, cache.TryGet("long.mjpeg", 0, out _));
        Assert.Equal(FilmFrameState.Ready, cache.TryGet("long.mjpeg", frames - 1, out var last));
        last!.Release();
        Assert.Equal(FilmFrameState.End, cache.TryGet("long.mjpeg", frames + small.RunFrames, out _));
    }
}
