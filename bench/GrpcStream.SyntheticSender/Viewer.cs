using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GrpcStream.Rtsp.Headers;
using GrpcStream.Rtsp.Messages;
using GrpcStream.Rtsp.Sdp;

namespace GrpcStream.SyntheticSender;

/// <summary>
/// One RTSP connection and its one session: answers OPTIONS, DESCRIBE, SETUP (UDP unicast or TCP interleaved),
/// PLAY, GET_PARAMETER and TEARDOWN, and while playing is sent every frame by <see cref="FrameClock"/>.
/// </summary>
internal sealed class Viewer(Socket socket, Server server)
{
    private const string Methods = "OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN";

    private readonly TcpOutput _output = new(socket);
    private readonly string _sessionId = Random.Shared.NextInt64(1L << 40, 1L << 48).ToString("X", CultureInfo.InvariantCulture);
    private volatile bool _playing;
    private bool _setUp;
    private SocketAddress? _udpDestination;
    private NumberRange? _clientPorts;
    private byte _channel;
    private uint _ssrc;
    private ushort _sequence;
    private uint _timestampBase;

    public bool IsPlaying => _playing;

    public bool IsTcp => _udpDestination is null;

    /// <summary>Answers requests until the client closes the connection.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var input = PipeReader.Create(stream);
        var reader = new RtspMessageReader();
        var message = new RtspMessage();
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (true)
                {
                    var read = reader.TryRead(buffer, message, out _, out var consumed);
                    if (read == RtspReadResult.NeedMoreData)
                    {
                        buffer = buffer.Slice(consumed);
                        break;
                    }

                    if (read == RtspReadResult.Message && message.IsRequest)
                    {
                        Answer(message);
                    }

                    // Interleaved frames from the client (its receiver reports) are read and let go.
                    buffer = buffer.Slice(consumed);
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || _output.Failed)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or RtspProtocolException)
        {
            // Gone, or not RTSP: the connection ends.
        }
        finally
        {
            _playing = false;
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Sends the frame to this session if it is playing; called by the frame clock only.</summary>
    /// <returns>The packets sent (0 when not playing, or the frame was skipped for a TCP reader that is behind).</returns>
    public int Send(SyntheticFrame frame, uint timestamp, Socket udp, ref long udpDropped)
    {
        _output.Flush();
        if (!_playing)
        {
            return 0;
        }

        frame.Stamp(_sequence, _timestampBase + timestamp, _ssrc, _channel);
        if (_udpDestination is { } destination)
        {
            udpDropped += UdpSend.Frame(udp, frame, destination);
        }
        else if (!_output.TryWriteFrame(frame.Bytes))
        {
            return 0;
        }

        _sequence += (ushort)frame.PacketCount;
        return frame.PacketCount;
    }

    private void Answer(RtspMessage request)
    {
        var output = new ArrayBufferWriter<byte>(512);
        var writer = new RtspWriter(output);
        var status = request.Method switch
        {
            RtspMethod.Options or RtspMethod.Describe or RtspMethod.GetParameter or RtspMethod.Teardown => 200,
            RtspMethod.Setup => Setup(request),
            RtspMethod.Play => _setUp ? 200 : 455,
            _ => 501,
        };
        writer.WriteStatusLine(status);
        writer.WriteCSeq(request.CSeq);
        var body = ReadOnlySpan<byte>.Empty;
        if (status == 200)
        {
            switch (request.Method)
            {
                case RtspMethod.Options:
                    writer.WriteHeader("Public", Methods);
                    break;
                case RtspMethod.Describe:
                    writer.WriteHeader("Content-Base", request.Uri.TrimEnd('/') + "/");
                    body = Encoding.ASCII.GetBytes(JpegSessionDescription.Create("synthetic", server.FramesPerSecond, server.Frame.Width, server.Frame.Height, 1, "127.0.0.1").ToString());
                    break;
                case RtspMethod.Setup:
                    writer.WriteHeader(SessionHeader.Name, new SessionHeader(_sessionId, 60).ToString());
                    writer.WriteHeader(TransportHeader.Name, _clientPorts is { } ports
                        ? $"RTP/AVP;unicast;client_port={ports};server_port={server.RtpPort}-{server.RtpPort + 1};ssrc={_ssrc:X8}"
                        : $"RTP/AVP/TCP;unicast;interleaved={_channel}-{_channel + 1};ssrc={_ssrc:X8}");
                    break;
                case RtspMethod.Play:
                    writer.WriteHeader(SessionHeader.Name, _sessionId);
                    writer.WriteHeader("Range", "npt=now-");
                    writer.WriteHeader("RTP-Info", $"url={request.Uri.TrimEnd('/')}/{JpegSessionDescription.TrackControl};seq={_sequence};rtptime={_timestampBase}");
                    break;
                default:
                    writer.WriteHeader(SessionHeader.Name, _sessionId);
                    break;
            }
        }

        writer.WriteEnd(body, body.IsEmpty ? null : "application/sdp");
        _output.WriteResponse(output.WrittenSpan);

        // Set after the answer is written: the first frame follows it on the connection.
        if (request.Method == RtspMethod.Play && status == 200)
        {
            _playing = true;
        }
        else if (request.Method == RtspMethod.Teardown)
        {
            _playing = false;
        }
    }

    private int Setup(RtspMessage request)
    {
        if (_setUp)
        {
            return 459; // one session per connection, one track per session
        }

        TransportSpec? offered;
        try
        {
            offered = TransportHeader.Parse(request.GetHeader(TransportHeader.Name) ?? string.Empty).FirstOrDefault(t => t.IsRtpAvp && !t.IsMulticast);
        }
        catch (RtspHeaderException)
        {
            return 400;
        }

        if (offered is null)
        {
            return 461;
        }

        if (offered.LowerTransport == LowerTransport.Tcp)
        {
            _channel = (byte)(offered.Interleaved?.First ?? 0);
        }
        else if (offered.ClientPorts is { } ports && socket.RemoteEndPoint is IPEndPoint client)
        {
            _udpDestination = new IPEndPoint(client.Address, ports.First).Serialize();
            _clientPorts = ports;
        }
        else
        {
            return 461;
        }

        _ssrc = (uint)Random.Shared.Next() | 1;
        _sequence = (ushort)Random.Shared.Next(ushort.MaxValue + 1);
        _timestampBase = (uint)Random.Shared.Next();
        _setUp = true;
        return 200;
    }
}
