using Google.Protobuf;
using Grpc.Core;
using GrpcStream.Origin.Conversion;
using GrpcStream.Rtsp.Media;
using GrpcStream.Origin.Settings;
using GrpcStream.Rtsp.Jpeg;
using Microsoft.Extensions.Options;

namespace GrpcStream.Origin.Publishing;

/// <summary>A published frame that is refused; it ends the publisher's call with <see cref="Status"/>.</summary>
internal sealed class PublishedFrameException(StatusCode status, string reason, string message) : Exception(message)
{
    public StatusCode Status { get; } = status;

    /// <summary>The metric's reason label.</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// Makes a published JPEG servable, with the same rules as a file's frames: one whole image within
/// <c>Origin:MaxFrameBytes</c> and <c>Origin:MaxFramePixels</c>, converted when RFC 2435 cannot carry it as it is
/// (optimized Huffman tables, progressive, 4:4:4), once, here, and never per subscriber.
/// </summary>
internal sealed class PublishedFrameCheck(IOptions<OriginOptions> options)
{
    private readonly OriginOptions _options = options.Value;
    private readonly FrameConverter _converter = new(options.Value.ConversionQuality);

    /// <exception cref="PublishedFrameException">The frame cannot be served.</exception>
    public (ByteString Jpeg, JpegImageInfo Info) Check(ByteString jpeg)
    {
        if (jpeg.Length > _options.MaxFrameBytes)
        {
            throw new PublishedFrameException(StatusCode.ResourceExhausted, "too_large", $"a frame of {jpeg.Length} bytes is over the Origin:MaxFrameBytes limit of {_options.MaxFrameBytes}");
        }

        var status = JpegParser.Parse(jpeg.Span, out var info, out var problem);
        if (status != JpegParseStatus.Complete)
        {
            throw new PublishedFrameException(StatusCode.InvalidArgument, "not_jpeg", status == JpegParseStatus.NeedMoreData
                ? $"a frame of {jpeg.Length} bytes is not a whole JPEG image (it ends before its end-of-image marker)"
                : $"a frame of {jpeg.Length} bytes is not a JPEG image: {problem}");
        }

        // Checked before anything is decoded: the header's size is all a bomb needs to state.
        if ((long)info.Width * info.Height > _options.MaxFramePixels)
        {
            throw new PublishedFrameException(StatusCode.ResourceExhausted, "too_many_pixels", $"a frame of {info.Width}x{info.Height} is over the Origin:MaxFramePixels limit of {_options.MaxFramePixels} pixels");
        }

        // Anything after the image's end is not part of it.
        var whole = info.Length == jpeg.Length ? jpeg : UnsafeByteOperations.UnsafeWrap(jpeg.Memory[..info.Length]);
        ServedFrame served;
        try
        {
            served = _converter.Convert(new SourceFrame(whole.Memory, info));
        }
        catch (JpegConversionException ex)
        {
            throw new PublishedFrameException(StatusCode.InvalidArgument, "not_convertible", $"a frame RFC 2435 cannot carry could not be converted: {ex.Message}");
        }
        catch (OutOfMemoryException)
        {
            // Within the pixel limit, but more than this machine has: this publisher's problem, not the host's.
            throw new PublishedFrameException(StatusCode.ResourceExhausted, "not_convertible", $"out of memory converting a {info.Width}x{info.Height} frame");
        }

        if (served.Conversion == ConversionKind.None)
        {
            return (whole, info);
        }

        if (served.Jpeg.Length > _options.MaxFrameBytes)
        {
            throw new PublishedFrameException(StatusCode.ResourceExhausted, "too_large", $"a frame of {served.Jpeg.Length} bytes once converted is over the Origin:MaxFrameBytes limit of {_options.MaxFrameBytes}");
        }

        return (UnsafeByteOperations.UnsafeWrap(served.Jpeg), served.Info);
    }
}
