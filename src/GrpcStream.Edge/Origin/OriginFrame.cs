using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using GrpcStream.Protos.Origin.V1;

namespace GrpcStream.Edge.Origin;

/// <summary>
/// One <see cref="Frame"/> of the origin's WatchFrames stream, read into a buffer that one watch reuses from frame to
/// frame: valid until the watch reads the next one. The generated parser would copy every JPEG into a new
/// <c>ByteString</c>, about 1 MB a second per stream at 640x480 and 30 fps, the edge's only garbage in steady
/// playback; this reads the four fields itself and keeps nothing per frame.
/// </summary>
internal sealed class OriginFrame
{
    // Field numbers and wire types of Frame (protos/grpcstream/origin/v1/origin.proto).
    private const int SequenceField = 1;
    private const int PtsField = 2;
    private const int JpegField = 3;
    private const int SourceIndexField = 4;
    private const int Varint = 0;
    private const int Fixed64 = 1;
    private const int LengthDelimited = 2;
    private const int Fixed32 = 5;

    private byte[] _jpeg = [];
    private int _jpegLength;

    /// <summary>See <see cref="Frame.Sequence"/>.</summary>
    public ulong Sequence { get; private set; }

    /// <summary>See <see cref="Frame.Pts90Khz"/>.</summary>
    public ulong Pts90Khz { get; private set; }

    /// <summary>See <see cref="Frame.SourceIndex"/>.</summary>
    public uint SourceIndex { get; private set; }

    /// <summary>The JPEG: valid until the next frame is read into this one.</summary>
    public ReadOnlyMemory<byte> Jpeg => _jpeg.AsMemory(0, _jpegLength);

    /// <summary>
    /// The WatchFrames method, its answers read into <paramref name="into"/>. gRPC reads a streamed message only when
    /// the next one is asked for, after the caller is done with the last, so one instance serves a whole call.
    /// </summary>
    public static Method<WatchFramesRequest, OriginFrame> WatchFramesMethod(OriginFrame into) => new(
        MethodType.ServerStreaming,
        MediaOrigin.Descriptor.FullName,
        "WatchFrames",
        Marshallers.Create(request => request.ToByteArray(), WatchFramesRequest.Parser.ParseFrom),
        new Marshaller<OriginFrame>(
            (_, _) => throw new NotSupportedException("The edge only receives frames."),
            context => into.ReadFrom(context.PayloadAsReadOnlySequence())));

    /// <summary>The ReadFrames method (a run of a film's frames by index), its answers read into <paramref name="into"/>.</summary>
    public static Method<ReadFramesRequest, OriginFrame> ReadFramesMethod(OriginFrame into) => new(
        MethodType.ServerStreaming,
        MediaOrigin.Descriptor.FullName,
        "ReadFrames",
        Marshallers.Create(request => request.ToByteArray(), ReadFramesRequest.Parser.ParseFrom),
        new Marshaller<OriginFrame>(
            (_, _) => throw new NotSupportedException("The edge only receives frames."),
            context => into.ReadFrom(context.PayloadAsReadOnlySequence())));

    /// <summary>Reads a serialized <see cref="Frame"/> into this instance, replacing what it held.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed Frame message.</exception>
    public OriginFrame ReadFrom(ReadOnlySequence<byte> message)
    {
        // proto3 leaves out fields at their default: start from the defaults.
        (Sequence, Pts90Khz, SourceIndex, _jpegLength) = (0, 0, 0, 0);
        var reader = new SequenceReader<byte>(message);
        while (!reader.End)
        {
            var tag = ReadVarint(ref reader);
            var (field, wireType) = ((int)Math.Min(tag >> 3, int.MaxValue), (int)(tag & 7));
            if (field == 0)
            {
                throw new InvalidDataException("Frame message: field number 0");
            }

            switch ((field, wireType))
            {
                case (SequenceField, Varint):
                    Sequence = ReadVarint(ref reader);
                    break;
                case (PtsField, Varint):
                    Pts90Khz = ReadVarint(ref reader);
                    break;
                case (SourceIndexField, Varint):
                    SourceIndex = (uint)ReadVarint(ref reader);
                    break;
                case (JpegField, LengthDelimited):
                    var length = ReadLength(ref reader);
                    if (_jpeg.Length < length)
                    {
                        _jpeg = new byte[length + (length >> 3)]; // room for the next frames, a little larger
                    }

                    // A repeated field replaces the earlier value, as protobuf merges a scalar field.
                    reader.TryCopyTo(_jpeg.AsSpan(0, length));
                    reader.Advance(length);
                    _jpegLength = length;
                    break;
                default:
                    Skip(ref reader, wireType);
                    break;
            }
        }

        return this;
    }

    /// <summary>Skips an unknown field's value (fields added to Frame by a newer origin).</summary>
    private static void Skip(ref SequenceReader<byte> reader, int wireType)
    {
        long length = wireType switch
        {
            Varint => 0,
            Fixed64 => 8,
            LengthDelimited => ReadLength(ref reader),
            Fixed32 => 4,
            _ => throw new InvalidDataException($"Frame message: unsupported wire type {wireType}"),
        };
        if (wireType == Varint)
        {
            ReadVarint(ref reader);
        }
        else if (reader.Remaining < length)
        {
            throw new InvalidDataException("Frame message: truncated field");
        }
        else
        {
            reader.Advance(length);
        }
    }

    private static int ReadLength(ref SequenceReader<byte> reader)
    {
        var length = ReadVarint(ref reader);
        if (length > (ulong)reader.Remaining)
        {
            throw new InvalidDataException("Frame message: a field is longer than the message");
        }

        return (int)length;
    }

    private static ulong ReadVarint(ref SequenceReader<byte> reader)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (!reader.TryRead(out var b))
            {
                throw new InvalidDataException("Frame message: truncated varint");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("Frame message: varint longer than 10 bytes");
    }
}
