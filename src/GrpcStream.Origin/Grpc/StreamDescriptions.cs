using GrpcStream.Origin.Catalogue;
using GrpcStream.Origin.Settings;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Rtsp.Jpeg;
using DomainFormat = GrpcStream.Rtsp.Media.SourceFormat;
using JpegProcess = GrpcStream.Rtsp.Jpeg.JpegProcess;
using ProtoProcess = GrpcStream.Protos.Origin.V1.JpegProcess;

namespace GrpcStream.Origin.Grpc;

/// <summary>Maps a loaded stream to its place in the contract.</summary>
internal static class StreamDescriptions
{
    /// <summary>A file stream, played as <paramref name="playback"/> says.</summary>
    public static StreamDescription Describe(MediaStream stream, StreamPlayback playback)
    {
        var complete = stream.Index.IsComplete;
        var description = new StreamDescription
        {
            Mode = playback.Mode == PlaybackMode.OnDemand ? StreamMode.OnDemand : StreamMode.Live,
            Loop = playback.Mode == PlaybackMode.OnDemand && playback.Loop,
            DurationSeconds = complete && stream.FrameRate > 0 ? stream.Index.Count / stream.FrameRate : 0,
            Name = stream.Name,
            Width = stream.ServedInfo.Width,
            Height = stream.ServedInfo.Height,
            FrameRate = stream.FrameRate,
            FrameCount = complete ? (uint)stream.Index.Count : 0,
            FramesIndexed = (uint)stream.Index.Count,
            SourceFormat = stream.Format switch
            {
                DomainFormat.LengthPrefixed => SourceFormat.LengthPrefixed,
                DomainFormat.ConcatenatedJpeg => SourceFormat.ConcatenatedJpeg,
                DomainFormat.JpegDirectory => SourceFormat.JpegDirectory,
                DomainFormat.Generated => SourceFormat.Generated,
                _ => SourceFormat.Unspecified,
            },
            SourceJpeg = Kind(stream.SourceInfo),
            ServedJpeg = Kind(stream.ServedInfo),
            RtpCarriable = stream.Index.RtpCarriable,
            SkippedFrames = (uint)stream.Index.SkippedFrames,
            TotalBytes = (ulong)stream.Index.TotalBytes,
        };

        if (stream.Index.FirstConversionReason is { } reason)
        {
            description.Conversion = new Protos.Origin.V1.Conversion
            {
                ConvertedFrames = (uint)stream.Index.ConvertedFrames,
                Lossless = stream.Index.AllConversionsLossless,
                Reason = Explain(reason, stream.Index.AllConversionsLossless),
            };
        }

        return description;
    }

    /// <summary>A published stream, described by its latest frame (it has one: only such streams are listed).</summary>
    public static StreamDescription Describe(Publishing.PublishedStream stream)
    {
        var info = stream.Info!.Value;
        return new StreamDescription
        {
            Mode = StreamMode.Live,
            Name = stream.Name,
            Width = info.Width,
            Height = info.Height,
            FrameRate = stream.FrameRate,
            SourceFormat = SourceFormat.Published,
            SourceJpeg = Kind(info),
            ServedJpeg = Kind(info),
            RtpCarriable = RtpJpegCompatibility.Check(info) == RtpJpegIncompatibility.None,
        };
    }

    public static string Explain(RtpJpegIncompatibility reason, bool lossless)
    {
        var what = reason switch
        {
            RtpJpegIncompatibility.Progressive => "progressive JPEG",
            RtpJpegIncompatibility.NotBaseline => "JPEG that is not baseline sequential",
            RtpJpegIncompatibility.Precision => "JPEG with other than 8-bit samples",
            RtpJpegIncompatibility.ComponentCount => "JPEG without three colour components (grayscale or CMYK)",
            RtpJpegIncompatibility.Sampling => "chroma sampling RFC 2435 cannot describe (only luma 2x1 or 2x2 with chroma 1x1)",
            RtpJpegIncompatibility.HuffmanTables => "Huffman tables other than the standard ones (optimized coding)",
            RtpJpegIncompatibility.MultipleScans => "more than one scan (non-interleaved components)",
            _ => reason.ToString(),
        };
        return lossless
            ? $"{what}: re-coded as baseline with the standard Huffman tables, pixels unchanged"
            : $"{what}: decoded and encoded again as baseline YCbCr with standard tables";
    }

    private static JpegKind Kind(in JpegImageInfo info) => new()
    {
        Process = info.Process switch
        {
            JpegProcess.Baseline => ProtoProcess.Baseline,
            JpegProcess.ExtendedSequential => ProtoProcess.ExtendedSequential,
            JpegProcess.Progressive => ProtoProcess.Progressive,
            JpegProcess.Lossless => ProtoProcess.Lossless,
            JpegProcess.Hierarchical => ProtoProcess.Hierarchical,
            JpegProcess.Arithmetic => ProtoProcess.Arithmetic,
            _ => ProtoProcess.Unspecified,
        },
        Chroma = info.Chroma switch
        {
            JpegChroma.Yuv420 => ChromaSubsampling._420,
            JpegChroma.Yuv422 => ChromaSubsampling._422,
            JpegChroma.Yuv444 => ChromaSubsampling._444,
            JpegChroma.Yuv440 => ChromaSubsampling._440,
            JpegChroma.Yuv411 => ChromaSubsampling._411,
            JpegChroma.Grayscale => ChromaSubsampling.Grayscale,
            _ => ChromaSubsampling.Other,
        },
        Components = (uint)info.ComponentCount,
        Precision = info.Precision,
        RestartInterval = info.RestartInterval,
        StandardHuffmanTables = info.HasStandardHuffmanTables,
        Sampling = info.SamplingText,
    };
}
