using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;

namespace GrpcStream.Edge.Sessions;

/// <summary>
/// Every session of the edge by id, of every kind. Ids are 16 random decimal digits: unguessable enough that one client cannot
/// reach another's session, and numeric because the classic lab client parses its session id as an integer.
/// </summary>
internal sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly int[] _byKind = new int[Enum.GetValues<SessionKind>().Length];

    /// <summary>Sessions of every kind.</summary>
    public int Count => _sessions.Count;

    /// <summary>Every session, players, viewers and publishers.</summary>
    public IEnumerable<Session> All => _sessions.Values;

    /// <summary>The sessions that send a stream (players and viewers): those with a transport, a sender and an expiry.</summary>
    public IEnumerable<Session> Senders => _sessions.Values.Where(session => session.Kind != SessionKind.Record);

    public int CountOf(SessionKind kind) => Volatile.Read(ref _byKind[(int)kind]);

    public static string NewId()
    {
        Span<byte> random = stackalloc byte[8];
        RandomNumberGenerator.Fill(random);
        var value = (BitConverter.ToUInt64(random) % 9_000_000_000_000_000UL) + 1_000_000_000_000_000UL;
        return value.ToString(CultureInfo.InvariantCulture);
    }

    public void Add(Session session)
    {
        if (_sessions.TryAdd(session.Id, session))
        {
            Interlocked.Increment(ref _byKind[(int)session.Kind]);
        }
    }

    public bool TryGet(string id, out Session session) => _sessions.TryGetValue(id, out session!);

    public bool Remove(Session session)
    {
        if (!_sessions.TryRemove(new KeyValuePair<string, Session>(session.Id, session)))
        {
            return false;
        }

        Interlocked.Decrement(ref _byKind[(int)session.Kind]);
        return true;
    }
}
