using GrpcStream.Rtsp.Jpeg;
using Microsoft.Extensions.Options;
using GrpcStream.Shared;

namespace GrpcStream.Origin.Settings;

/// <summary>Checks the options at start-up, so that a bad value stops the service with a reason instead of failing later.</summary>
internal sealed class OriginOptionsValidator : IValidateOptions<OriginOptions>
{
    public const double MaxFrameRate = 240;

    public ValidateOptionsResult Validate(string? name, OriginOptions options)
    {
        var failures = new List<string>();
        if (options.MediaRoot is { } root && !Directory.Exists(root))
        {
            failures.Add($"Origin:MediaRoot '{root}' is not an existing directory");
        }

        CheckFrameRate(failures, "Origin:FrameRate", options.FrameRate);
        if (PlaybackModes.Parse(options.Mode) is null)
        {
            failures.Add($"Origin:Mode must be '{PlaybackModes.Live}' or '{PlaybackModes.OnDemand}' (was '{options.Mode}')");
        }

        foreach (var (stream, settings) in options.Streams)
        {
            if (settings.FrameRate is { } rate)
            {
                CheckFrameRate(failures, $"Origin:Streams:{stream}:FrameRate", rate);
            }

            if (settings.Mode is { } mode && PlaybackModes.Parse(mode) is null)
            {
                failures.Add($"Origin:Streams:{stream}:Mode must be '{PlaybackModes.Live}' or '{PlaybackModes.OnDemand}' (was '{mode}')");
            }

            if (settings.Match is { Length: 0 })
            {
                failures.Add($"Origin:Streams:{stream}:Match is empty: give the glob of the streams the entry is for");
            }
            else if (settings.Match is not null && !int.TryParse(stream, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                failures.Add($"Origin:Streams:{stream}:Match is for numbered entries (Origin:Streams:0:Match); an entry named '{stream}' is for that stream alone");
            }
        }

        if (options.OnDemand.MaxFramesPerRead < 1 || options.OnDemand.MaxBytesPerRead < 1)
        {
            failures.Add($"Origin:OnDemand:MaxFramesPerRead and MaxBytesPerRead must be at least 1 (were {options.OnDemand.MaxFramesPerRead} and {options.OnDemand.MaxBytesPerRead})");
        }

        if (options.MaxSubscribers < 1 || options.MaxSubscribersPerStream < 1)
        {
            failures.Add($"Origin:MaxSubscribers and Origin:MaxSubscribersPerStream must be at least 1 (were {options.MaxSubscribers} and {options.MaxSubscribersPerStream})");
        }

        if (options.MaxFramePixels < 64 * 64)
        {
            failures.Add($"Origin:MaxFramePixels must be at least {64 * 64} (was {options.MaxFramePixels})");
        }

        if (options.SubscriberBufferFrames is < 1 or > 1024)
        {
            failures.Add($"Origin:SubscriberBufferFrames must be between 1 and 1024 (was {options.SubscriberBufferFrames})");
        }

        if (options.RescanInterval < TimeSpan.FromMilliseconds(100))
        {
            failures.Add($"Origin:RescanInterval must be at least 100 ms (was {options.RescanInterval})");
        }

        if (options.MaxFileBytes < 1)
        {
            failures.Add($"Origin:MaxFileBytes must be at least 1 (was {options.MaxFileBytes})");
        }

        if (options.MaxFramesPerStream < 1)
        {
            failures.Add($"Origin:MaxFramesPerStream must be at least 1 (was {options.MaxFramesPerStream})");
        }

        if (options.FrameCacheBytes < 0)
        {
            failures.Add($"Origin:FrameCacheBytes must be 0 or more (was {options.FrameCacheBytes})");
        }

        if (string.IsNullOrWhiteSpace(options.CacheDirectory))
        {
            failures.Add("Origin:CacheDirectory must be set (a writable directory for converted frames)");
        }
        else if (File.Exists(options.CacheDirectory))
        {
            failures.Add($"Origin:CacheDirectory '{options.CacheDirectory}' is a file, not a directory");
        }

        if (options.MaxStreamBytes < 1)
        {
            failures.Add($"Origin:MaxStreamBytes must be at least 1 (was {options.MaxStreamBytes})");
        }

        if (options.MaxFrameBytes is < 1024 or > RtpJpegCompatibility.MaxFrameBytes)
        {
            failures.Add($"Origin:MaxFrameBytes must be between 1024 and {RtpJpegCompatibility.MaxFrameBytes} (was {options.MaxFrameBytes})");
        }

        if (options.ConversionQuality is < 1 or > 100)
        {
            failures.Add($"Origin:ConversionQuality must be between 1 and 100 (was {options.ConversionQuality})");
        }

        if (options.Sample.Enabled)
        {
            if (StreamName.CheckFileName(options.Sample.Name) is { } problem)
            {
                failures.Add($"Origin:Sample:Name is not a valid stream name: {problem}");
            }

            if (options.Sample.FrameCount is < 1 or > 10_000)
            {
                failures.Add($"Origin:Sample:FrameCount must be between 1 and 10000 (was {options.Sample.FrameCount})");
            }
        }

        if (!options.Publish.Prefix.EndsWith('/') || StreamName.CheckPathLike(options.Publish.Prefix + "x") is not null)
        {
            failures.Add($"Origin:Publish:Prefix must be path-like and end with '/', such as 'live/' (was '{options.Publish.Prefix}')");
        }

        if (options.Publish.HoldTime < TimeSpan.Zero || options.Publish.HoldTime > TimeSpan.FromHours(1))
        {
            failures.Add($"Origin:Publish:HoldTime must be between 0 and 1 hour (was {options.Publish.HoldTime})");
        }

        if (options.Publish.MaxPublishers < 1)
        {
            failures.Add($"Origin:Publish:MaxPublishers must be at least 1 (was {options.Publish.MaxPublishers})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckFrameRate(List<string> failures, string key, double rate)
    {
        if (!double.IsFinite(rate) || rate <= 0 || rate > MaxFrameRate)
        {
            failures.Add($"{key} must be above 0 and at most {MaxFrameRate} (was {rate})");
        }
    }
}
