using GrpcStream.Rtsp.Jpeg;
using GrpcStream.Rtsp.Media;

namespace GrpcStream.Origin.Conversion;

/// <summary>What happened to one frame on its way to being served.</summary>
internal enum ConversionKind
{
    /// <summary>Served byte for byte as found.</summary>
    None,

    /// <summary>Entropy coding redone; pixels unchanged.</summary>
    Recoded,

    /// <summary>Decoded and encoded again; pixels approximately the same.</summary>
    Reencoded,
}

/// <summary>A frame as served, and how it got there from the source.</summary>
internal readonly record struct ServedFrame(
    ReadOnlyMemory<byte> Jpeg, JpegImageInfo Info, ConversionKind Conversion, RtpJpegIncompatibility SourceProblem);

/// <summary>
/// Decides for each source frame whether it can be served as it is and converts it when it cannot.
/// Runs once per frame when a stream is loaded, never per subscriber.
/// </summary>
internal sealed class FrameConverter(int quality)
{
    /// <exception cref="JpegConversionException">The frame cannot be made carriable.</exception>
    public ServedFrame Convert(in SourceFrame frame)
    {
        var problem = RtpJpegCompatibility.Check(frame.Info);
        if (problem is RtpJpegIncompatibility.None or RtpJpegIncompatibility.TooLarge)
        {
            // A scan too large for RFC 2435 cannot be helped by converting; it is served and flagged.
            return new ServedFrame(frame.Jpeg, frame.Info, ConversionKind.None, problem);
        }

        byte[] output;
        ConversionKind kind;
        if (JpegTranscoder.CanRecodeLosslessly(frame.Info))
        {
            output = JpegTranscoder.Recode(frame.Jpeg, frame.Info.RestartInterval);
            kind = ConversionKind.Recoded;
        }
        else
        {
            // Always 4:2:0 (luma 2x2): LibJpeg.NET cannot encode luma 2x1 with chroma 1x1 (it would need the
            // 16x8 scaled DCT, which the port does not implement), so 4:2:2 is not on offer.
            output = JpegTranscoder.Reencode(frame.Jpeg, quality);
            kind = ConversionKind.Reencoded;
        }

        if (!JpegParser.TryParse(output, out var info) || RtpJpegCompatibility.Check(in info) is not RtpJpegIncompatibility.None)
        {
            throw new JpegConversionException($"conversion of a {problem} frame did not produce a carriable image");
        }

        return new ServedFrame(output, info, kind, problem);
    }
}
