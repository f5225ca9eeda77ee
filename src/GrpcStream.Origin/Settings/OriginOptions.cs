using GrpcStream.Rtsp.Jpeg;

namespace GrpcStream.Origin.Settings;

/// <summary>The origin's settings, bound from the <c>Origin</c> configuration section.</summary>
public sealed class OriginOptions
{
    public const string SectionName = "Origin";

    /// <summary>
    /// Directory whose files (and sub-directories of .jpg files) are the streams, each named by its file
    /// name. Unset: only the built-in sample is served.
    /// </summary>
    public string? MediaRoot { get; set; }

    /// <summary>Frames per second of every stream without its own setting in <see cref="Streams"/>.</summary>
    public double FrameRate { get; set; } = 25;

    /// <summary>
    /// How file streams are played unless an entry of <see cref="Streams"/> says otherwise: <c>live</c>, one looping
    /// timeline shared by every viewer, or <c>on-demand</c>, each viewer from its own position with the duration
    /// announced. Published streams are live whatever this says.
    /// </summary>
    public string Mode { get; set; } = PlaybackModes.Live;

    /// <summary>
    /// Per-stream settings. Numbered entries (<c>Origin:Streams:0:Match=lobby-*</c>) apply to the streams their
    /// <see cref="StreamSettings.Match"/> glob matches, the first matching entry winning; an entry keyed by a
    /// stream's exact name (<c>Origin:Streams:movie.Mjpeg:FrameRate</c>) applies to that stream before any.
    /// </summary>
    public Dictionary<string, StreamSettings> Streams { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Serving runs of frames by index (ReadFrames), for streams played on demand.</summary>
    public OnDemandOptions OnDemand { get; set; } = new();

    public SampleOptions Sample { get; set; } = new();

    /// <summary>Live streams published into the origin (PublishFrames).</summary>
    public PublishOptions Publish { get; set; } = new();

    /// <summary>
    /// Frames queued per subscriber before the oldest is dropped for that subscriber alone: a slow reader
    /// loses frames, it never slows the clock or the other subscribers.
    /// </summary>
    public int SubscriberBufferFrames { get; set; } = 8;

    /// <summary>WatchFrames calls at once on the whole origin; more are refused with RESOURCE_EXHAUSTED.</summary>
    public int MaxSubscribers { get; set; } = 1000;

    /// <summary>WatchFrames calls at once on one stream (an edge needs one per stream); more are refused with RESOURCE_EXHAUSTED.</summary>
    public int MaxSubscribersPerStream { get; set; } = 100;

    /// <summary>How often the media root is scanned for added, changed and removed files.</summary>
    public TimeSpan RescanInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Files larger than this are not indexed (64 GiB by default: hours of high-rate MJPEG). Frames are read from
    /// the file as they play, so this bounds the time and the index memory a file may take, not what is loaded.
    /// </summary>
    public long MaxFileBytes { get; set; } = 64L << 30;

    /// <summary>A stream's total source bytes: caps an image directory, whose files are each one frame.</summary>
    public long MaxStreamBytes { get; set; } = 64L << 30;

    /// <summary>
    /// Frames indexed per stream (2,000,000 by default, 18.5 hours at 30 fps); the index takes 16 bytes a frame.
    /// A longer source plays its first frames only.
    /// </summary>
    public int MaxFramesPerStream { get; set; } = 2_000_000;

    /// <summary>
    /// Where frames that had to be converted for RFC 2435 are kept, one file per source version, so that each is
    /// converted once (not at every start) and not held in memory. Must be writable; the media root may be
    /// read-only. Defaults to a folder under the system's temporary directory.
    /// </summary>
    public string CacheDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "grpcstream-origin-cache");

    /// <summary>
    /// Bytes of recently read frames kept in memory, shared by all streams (64 MiB by default): a short source loops
    /// from memory, a long one is read from disk as it plays. 0 reads every frame from disk.
    /// </summary>
    public long FrameCacheBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Frames larger than this are skipped (16 MiB by default, the most RFC 2435 can carry and the most an edge
    /// accepts from the origin; it can only be lowered).
    /// </summary>
    public int MaxFrameBytes { get; set; } = RtpJpegCompatibility.MaxFrameBytes;

    /// <summary>
    /// Follow symbolic links whose target is outside the media root. Off by default: the media root is the
    /// boundary of what the origin serves.
    /// </summary>
    public bool FollowSymlinks { get; set; }

    /// <summary>
    /// Frames with more pixels than this (8K, 7680x4320, by default) are skipped before anything is decoded: a
    /// JPEG of a few hundred bytes can declare 65500x65500 pixels, and converting it would need gigabytes.
    /// </summary>
    public long MaxFramePixels { get; set; } = 7680L * 4320;

    /// <summary>JPEG quality (1-100) used when a frame must be decoded and encoded again to become carriable.</summary>
    public int ConversionQuality { get; set; } = 90;

    public double FrameRateFor(string stream) => EntryFor(stream)?.FrameRate ?? FrameRate;

    /// <summary>How a file stream is played: the first entry of <see cref="Streams"/> that names it, else <see cref="Mode"/>.</summary>
    public StreamPlayback PlaybackOf(string stream)
    {
        var entry = EntryFor(stream);
        return new StreamPlayback(
            PlaybackModes.Parse(entry?.Mode ?? Mode) ?? PlaybackMode.Live,
            entry?.Loop ?? false,
            entry?.FrameRate ?? FrameRate);
    }

    // The entry keyed by the stream's name, else the first numbered entry whose glob matches it.
    private StreamSettings? EntryFor(string stream)
    {
        if (Streams.TryGetValue(stream, out var named) && named.Match is null)
        {
            return named;
        }

        _rules ??= [.. Streams
            .Where(e => e.Value.Match is not null && int.TryParse(e.Key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
            .OrderBy(e => int.Parse(e.Key, System.Globalization.CultureInfo.InvariantCulture))
            .Select(e => (new GrpcStream.Shared.StreamGlob(e.Value.Match!), e.Value))];
        foreach (var (glob, settings) in _rules)
        {
            if (glob.Matches(stream))
            {
                return settings;
            }
        }

        return null;
    }

    // Compiled once, when first asked: the options are not changed after they are bound and validated.
    private (GrpcStream.Shared.StreamGlob Glob, StreamSettings Settings)[]? _rules;
}

/// <summary>One entry of <see cref="OriginOptions.Streams"/>.</summary>
public sealed class StreamSettings
{
    /// <summary>For a numbered entry: the glob of stream names it applies to (as in <c>Edge:Auth:Users:N:Streams</c>).</summary>
    public string? Match { get; set; }

    /// <summary><c>live</c> or <c>on-demand</c>; unset: <see cref="OriginOptions.Mode"/>.</summary>
    public string? Mode { get; set; }

    /// <summary>For an on-demand stream: start again after the last frame instead of ending the play.</summary>
    public bool? Loop { get; set; }

    public double? FrameRate { get; set; }
}

/// <summary>Serving frames by index to edges that play streams on demand.</summary>
public sealed class OnDemandOptions
{
    /// <summary>Frames in one ReadFrames call at most, whatever the edge asks.</summary>
    public int MaxFramesPerRead { get; set; } = 250;

    /// <summary>Bytes in one ReadFrames call at most (one frame is sent whatever its size).</summary>
    public long MaxBytesPerRead { get; set; } = 32L << 20;
}

/// <summary>How a stream is played.</summary>
public enum PlaybackMode
{
    /// <summary>One timeline for every viewer, looping for a file.</summary>
    Live,

    /// <summary>Each viewer from its own position.</summary>
    OnDemand,
}

/// <summary>How a file stream is played, as its settings resolve.</summary>
public readonly record struct StreamPlayback(PlaybackMode Mode, bool Loop, double FrameRate);

/// <summary>The <c>Mode</c> settings' words.</summary>
public static class PlaybackModes
{
    public const string Live = "live";

    public const string OnDemand = "on-demand";

    /// <summary>The mode a setting names; null when it names none.</summary>
    public static PlaybackMode? Parse(string text) => text.ToLowerInvariant() switch
    {
        Live => PlaybackMode.Live,
        OnDemand => PlaybackMode.OnDemand,
        _ => null,
    };
}

/// <summary>The built-in generated test pattern, served so that the origin plays something with no configuration.</summary>
public sealed class SampleOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>The name the sample is served under; a media-root file of the same name takes its place.</summary>
    public string Name { get; set; } = "movie.Mjpeg";

    /// <summary>Frames in one loop of the pattern (at 25 fps, 250 is ten seconds).</summary>
    public int FrameCount { get; set; } = 250;
}

/// <summary>Live publishing (<c>Origin:Publish</c>); who may publish is <c>Origin:Publish:Tokens</c> or a client certificate.</summary>
public sealed class PublishOptions
{
    /// <summary>Published names start with this (file streams never contain '/', so the two cannot clash).</summary>
    public string Prefix { get; set; } = "live/";

    /// <summary>How long a stream whose publisher left keeps its last frame and its watchers, waiting for the publisher to return.</summary>
    public TimeSpan HoldTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Publishers connected at once; more are refused with RESOURCE_EXHAUSTED.</summary>
    public int MaxPublishers { get; set; } = 100;
}
