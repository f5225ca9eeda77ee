using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;

namespace GrpcStream.Edge.Sessions;

/// <summary>
/// Every session of the edge by id. Ids are 16 random decimal digits: unguessable enough that one client cannot
/// reach another's session, and numeric because the classic lab client parses its session id as an integer.
/// </summary>
internal sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<string, RtspSession> _sessions = new(StringComparer.Ordinal);

    public int Count => _sessions.Count;

    public IEnumerable<RtspSession> All => _sessions.Values;

    public static string NewId()
    {
        Span<byte> random = stackalloc byte[8];
        RandomNumberGenerator.Fill(random);
        var value = (BitConverter.ToUInt64(random) % 9_000_000_000_000_000UL) + 1_000_000_000_000_000UL;
        return value.ToString(CultureInfo.InvariantCulture);
    }

    public void Add(RtspSession session) => _sessions[session.Id] = session;

    public bool TryGet(string id, out RtspSession session) => _sessions.TryGetValue(id, out session!);

    public bool Remove(RtspSession session) => _sessions.TryRemove(new KeyValuePair<string, RtspSession>(session.Id, session));
}
