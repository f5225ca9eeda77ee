using System.Net;

namespace GrpcStream.Shared.Net;

/// <summary>
/// How many of something (connections, viewers, hash verifications) each client address holds now, within a cap
/// per address (0: no cap). Addresses are counted in their plain form, so an IPv4 client is one address whether
/// it came over an IPv4 or a dual-stack socket.
/// </summary>
internal sealed class AddressCounts(int limit)
{
    private readonly Dictionary<IPAddress, int> _counts = [];

    public int Limit => limit;

    /// <summary>Counts one more for <paramref name="address"/>; false, counting nothing, when it holds the most already.</summary>
    public bool TryAdd(IPAddress address)
    {
        address = PlainAddress.Of(address);
        lock (_counts)
        {
            _counts.TryGetValue(address, out var count);
            if (limit > 0 && count >= limit)
            {
                return false;
            }

            _counts[address] = count + 1;
            return true;
        }
    }

    public void Remove(IPAddress address)
    {
        address = PlainAddress.Of(address);
        lock (_counts)
        {
            if (_counts.TryGetValue(address, out var count))
            {
                if (count <= 1)
                {
                    _counts.Remove(address);
                }
                else
                {
                    _counts[address] = count - 1;
                }
            }
        }
    }
}
