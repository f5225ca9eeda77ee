using System.Buffers;
using Google.Protobuf;
using GrpcStream.Edge.Origin;
using GrpcStream.Protos.Origin.V1;
using GrpcStream.Testing;

namespace GrpcStream.Edge.Tests.Origin;

/// <summary>
/// The edge reads the origin's Frame messages itself, into a buffer it reuses: it must read exactly what the
/// generated code writes, however the bytes are split, and refuse what is not a Frame with one exception type.
/// </summary>
public class OriginFrameTests
{
    private static readonly byte[] Jpeg = [.. Enumerable.Range(0, 3000).Select(i => (byte)(i * 7))];

    [Fact]
    public void Reads_every_field_as_the_generated_code_writes_it_wherever_the_bytes_are_split()
    {
        var bytes = new Frame { Sequence = 1UL << 40, Pts90Khz = ulong.MaxValue, Jpeg = ByteString.CopyFrom(Jpeg), SourceIndex = 299 }.ToByteArray();
        var frame = new OriginFrame();
        for (var at = 0; at <= bytes.Length; at++)
        {
            frame.ReadFrom(Sequences.SplitAt(bytes, at));
            Assert.Equal((1UL << 40, ulong.MaxValue, 299u), (frame.Sequence, frame.Pts90Khz, frame.SourceIndex));
            Assert.True(frame.Jpeg.Span.SequenceEqual(Jpeg), $"split at {at}");
        }

        frame.ReadFrom(Sequences.Segmented(bytes, 1));
        Assert.True(frame.Jpeg.Span.SequenceEqual(Jpeg));
    }

    [Fact]
    public void Fields_left_out_are_their_defaults_not_the_last_frames_values()
    {
        var frame = new OriginFrame();
        frame.ReadFrom(new ReadOnlySequence<byte>(new Frame { Sequence = 5, Pts90Khz = 6, SourceIndex = 7, Jpeg = ByteString.CopyFrom(Jpeg) }.ToByteArray()));

        // proto3 writes no field at its default: a frame 0 with no image is an empty message.
        frame.ReadFrom(ReadOnlySequence<byte>.Empty);

        Assert.Equal((0UL, 0UL, 0u, 0), (frame.Sequence, frame.Pts90Khz, frame.SourceIndex, frame.Jpeg.Length));
    }

    [Fact]
    public void A_larger_frame_after_a_smaller_one_is_read_whole_and_a_smaller_one_after_it_as_small()
    {
        var frame = new OriginFrame();
        var large = Enumerable.Range(0, 200_000).Select(i => (byte)i).ToArray();
        foreach (var jpeg in new[] { Jpeg, large, Jpeg })
        {
            frame.ReadFrom(new ReadOnlySequence<byte>(new Frame { Sequence = 1, Jpeg = ByteString.CopyFrom(jpeg) }.ToByteArray()));
            Assert.True(frame.Jpeg.Span.SequenceEqual(jpeg));
        }
    }

    [Fact]
    public void Fields_a_newer_origin_adds_are_skipped_whatever_their_wire_type()
    {
        var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(20, WireFormat.WireType.Varint);
        output.WriteUInt64(ulong.MaxValue);
        output.WriteTag(1, WireFormat.WireType.Varint);
        output.WriteUInt64(42);
        output.WriteTag(21, WireFormat.WireType.Fixed64);
        output.WriteFixed64(7);
        output.WriteTag(3, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(Jpeg));
        output.WriteTag(22, WireFormat.WireType.LengthDelimited);
        output.WriteString("a caption");
        output.WriteTag(23, WireFormat.WireType.Fixed32);
        output.WriteFixed32(9);
        output.WriteTag(4, WireFormat.WireType.Varint);
        output.WriteUInt32(3);
        output.Flush();

        var frame = new OriginFrame().ReadFrom(new ReadOnlySequence<byte>(stream.ToArray()));

        Assert.Equal((42UL, 3u), (frame.Sequence, frame.SourceIndex));
        Assert.True(frame.Jpeg.Span.SequenceEqual(Jpeg));
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "a varint cut short", [0x08, 0x80] },
        { "a varint of 11 bytes", [0x08, .. Enumerable.Repeat((byte)0xFF, 10), 0x01] },
        { "an image longer than the message", [0x1A, 0x10, 1, 2, 3] },
        { "an unknown field longer than the message", [0x52, 0x05, 1] },
        { "a fixed64 cut short", [0x51, 1, 2, 3] },
        { "a group (wire type 3)", [0x53, 0x54] },
        { "field number 0", [0x00, 0x01] },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void What_is_not_a_frame_is_refused_with_a_reason(string what, byte[] bytes)
    {
        var error = Assert.Throws<InvalidDataException>(() => new OriginFrame().ReadFrom(new ReadOnlySequence<byte>(bytes)));
        Assert.True(error.Message.StartsWith("Frame message: ", StringComparison.Ordinal), $"{what}: {error.Message}");
    }

    [Fact]
    public void Every_prefix_of_a_frame_is_read_or_refused_never_anything_else()
    {
        var bytes = new Frame { Sequence = 300, Pts90Khz = 9000, Jpeg = ByteString.CopyFrom(Jpeg), SourceIndex = 2 }.ToByteArray();
        var frame = new OriginFrame();
        var refused = 0;
        for (var length = 0; length < bytes.Length; length++)
        {
            try
            {
                frame.ReadFrom(new ReadOnlySequence<byte>(bytes, 0, length));
            }
            catch (InvalidDataException)
            {
                refused++;
            }
        }

        // Cut inside the image or a varint, a prefix is refused; cut between fields, it is a shorter valid frame.
        Assert.InRange(refused, Jpeg.Length, bytes.Length - 1);
    }

    [Fact]
    public void Reading_a_frame_allocates_nothing_once_the_buffer_is_large_enough()
    {
        var bytes = new ReadOnlySequence<byte>(new Frame { Sequence = 1, Pts90Khz = 2, Jpeg = ByteString.CopyFrom(Jpeg), SourceIndex = 3 }.ToByteArray());
        var frame = new OriginFrame().ReadFrom(bytes);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            frame.ReadFrom(bytes);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
