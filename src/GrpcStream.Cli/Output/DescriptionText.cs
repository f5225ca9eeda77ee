using System.Text;
using GrpcStream.Rtsp.Sdp;

namespace GrpcStream.Cli.Output;

/// <summary>How a session description reads on screen: its session, range and each medium's essentials.</summary>
internal static class DescriptionText
{
    public static string Readable(string url, SessionDescription description)
    {
        var text = new StringBuilder();
        text.AppendLine($"{url}");
        text.AppendLine($"  session: {description.SessionName}");
        if (description.GetAttribute("range") is { } range)
        {
            text.AppendLine($"  range:   {range}");
        }

        foreach (var media in description.Media)
        {
            var map = media.PayloadType is { } pt ? media.RtpMap(pt) : null;
            text.Append($"  {media.Media}: {media.Protocol} payload {string.Join(' ', media.Formats)}");
            text.Append(map is { } m ? $" ({m.Encoding}/{m.ClockRate})" : string.Empty).AppendLine();
            if (media.Control is { } control)
            {
                text.AppendLine($"    control:    {control}");
            }

            if (media.FrameRate is { } rate)
            {
                text.AppendLine($"    frame rate: {rate:0.###} fps");
            }

            if (media.Dimensions is { } size)
            {
                text.AppendLine($"    size:       {size.Width}x{size.Height}");
            }
        }

        return text.ToString();
    }
}
