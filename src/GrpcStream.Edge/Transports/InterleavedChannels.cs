
namespace GrpcStream.Edge.Transports;

/// <summary>
/// The interleaved channel pairs of one connection (RTP on an even channel, RTCP on the next) and the session
/// each belongs to, so that RTCP arriving on a channel finds its session.
/// </summary>
internal sealed class InterleavedChannels
{
    private readonly ITransportSession?[] _owners = new ITransportSession?[128];
    private readonly bool[] _reserved = new bool[128];

    /// <summary>Reserves the pair starting at <paramref name="rtpChannel"/>, or the first free pair when null.</summary>
    /// <returns>The RTP channel reserved, or null when the pair is taken (or none is left).</returns>
    public byte? TryReserve(int? rtpChannel)
    {
        lock (_reserved)
        {
            if (rtpChannel is { } channel)
            {
                if (channel is < 0 or > 254 || channel % 2 != 0 || _reserved[channel / 2])
                {
                    return null;
                }

                _reserved[channel / 2] = true;
                return (byte)channel;
            }

            var free = Array.IndexOf(_reserved, false);
            if (free < 0)
            {
                return null;
            }

            _reserved[free] = true;
            return (byte)(free * 2);
        }
    }

    public void Attach(byte rtpChannel, ITransportSession session) => Volatile.Write(ref _owners[rtpChannel / 2], session);

    public void Release(byte rtpChannel)
    {
        lock (_reserved)
        {
            Volatile.Write(ref _owners[rtpChannel / 2], null);
            _reserved[rtpChannel / 2] = false;
        }
    }

    /// <summary>The session whose RTCP travels on <paramref name="channel"/>, if any.</summary>
    public ITransportSession? RtcpOwner(byte channel) => channel % 2 == 1 ? Volatile.Read(ref _owners[channel / 2]) : null;
}
