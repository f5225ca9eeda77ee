using GrpcStream.Origin.Settings;
using Microsoft.Extensions.Configuration;

namespace GrpcStream.Origin.Tests.Settings;

/// <summary>
/// How each file stream is played, as its settings resolve from configuration (the environment's form included):
/// an entry named for the stream first, then the numbered entries in order, the first whose glob matches winning,
/// then the defaults.
/// </summary>
public class StreamPlaybackTests
{
    private static OriginOptions Bind(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        return configuration.GetSection(OriginOptions.SectionName).Get<OriginOptions>() ?? new OriginOptions();
    }

    [Fact]
    public void The_first_matching_entry_wins_an_entry_named_for_the_stream_before_any_and_the_defaults_after()
    {
        var options = Bind(
            ("Origin:Mode", "on-demand"),
            ("Origin:FrameRate", "25"),
            ("Origin:Streams:0:Match", "lobby-*"),
            ("Origin:Streams:0:Mode", "live"),
            ("Origin:Streams:1:Match", "*"),
            ("Origin:Streams:1:Loop", "true"),
            ("Origin:Streams:2:Match", "lobby-east"),
            ("Origin:Streams:2:FrameRate", "5"),
            ("Origin:Streams:10:Match", "signage/**"),
            ("Origin:Streams:lobby-west:FrameRate", "12"));

        Assert.Equal(new StreamPlayback(PlaybackMode.Live, false, 25), options.PlaybackOf("lobby-east")); // entry 0, before 2
        Assert.Equal(new StreamPlayback(PlaybackMode.OnDemand, true, 25), options.PlaybackOf("film.mjpeg")); // entry 1
        Assert.Equal(new StreamPlayback(PlaybackMode.OnDemand, false, 12), options.PlaybackOf("lobby-west")); // its own entry
        Assert.Equal(12, options.FrameRateFor("lobby-west"));
        Assert.Equal(25, options.FrameRateFor("lobby-east"));
    }

    [Fact]
    public void Numbered_entries_are_taken_in_numeric_order_not_as_text()
    {
        var options = Bind(
            ("Origin:Streams:10:Match", "*"),
            ("Origin:Streams:10:Mode", "live"),
            ("Origin:Streams:9:Match", "*"),
            ("Origin:Streams:9:Mode", "on-demand"));

        Assert.Equal(PlaybackMode.OnDemand, options.PlaybackOf("film").Mode);
    }

    [Fact]
    public void Without_entries_every_file_stream_has_the_default_mode_and_no_loop()
    {
        Assert.Equal(new StreamPlayback(PlaybackMode.Live, false, 25), new OriginOptions().PlaybackOf("movie.Mjpeg"));
        Assert.Equal(PlaybackMode.OnDemand, Bind(("Origin:Mode", "On-Demand")).PlaybackOf("movie.Mjpeg").Mode);
    }
}
