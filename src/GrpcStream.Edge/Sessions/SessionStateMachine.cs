using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Edge.Sessions;

/// <summary>RTSP session states (RFC 2326 appendix A.1, server side).</summary>
public enum SessionState
{
    /// <summary>Made, not set up: a publisher between ANNOUNCE and SETUP, or any session after TEARDOWN.</summary>
    Init,

    /// <summary>Set up, media not flowing.</summary>
    Ready,

    /// <summary>Frames go to the client (players and viewers).</summary>
    Playing,

    /// <summary>Frames come from the client (publishers).</summary>
    Recording,
}

/// <summary>
/// RFC 2326 appendix A.1's server state table, one for every kind of session: players and viewers move between
/// Ready and Playing, publishers between Init, Ready and Recording. A method not in it for a state (or not for the
/// session's kind: PLAY on a publisher, RECORD on a player) is answered 455 Method Not Valid in This State, with
/// <see cref="Allowed"/> as the Allow header. OPTIONS, DESCRIBE, GET_PARAMETER and SET_PARAMETER are valid in every
/// state and change nothing.
/// </summary>
internal static class SessionStateMachine
{
    private static readonly RtspMethod[] Order =
    [
        RtspMethod.Options, RtspMethod.Describe, RtspMethod.Setup, RtspMethod.Play, RtspMethod.Pause,
        RtspMethod.Record, RtspMethod.Teardown, RtspMethod.GetParameter, RtspMethod.SetParameter,
    ];

    private static readonly Dictionary<(SessionState State, RtspMethod Method), SessionState> PlayTransitions = new()
    {
        [(SessionState.Init, RtspMethod.Setup)] = SessionState.Ready,
        [(SessionState.Init, RtspMethod.Teardown)] = SessionState.Init,
        [(SessionState.Ready, RtspMethod.Play)] = SessionState.Playing,
        [(SessionState.Ready, RtspMethod.Setup)] = SessionState.Ready,
        [(SessionState.Ready, RtspMethod.Teardown)] = SessionState.Init,
        [(SessionState.Playing, RtspMethod.Play)] = SessionState.Playing,
        [(SessionState.Playing, RtspMethod.Pause)] = SessionState.Ready,
        [(SessionState.Playing, RtspMethod.Teardown)] = SessionState.Init,
        [(SessionState.Playing, RtspMethod.Setup)] = SessionState.Playing,
    };

    // A publisher announces one track and sets it up once: a second SETUP could only move its RTP mid-stream. PAUSE
    // while recording (GStreamer's rtspclientsink sends it before TEARDOWN) lets packets be ignored until RECORD.
    private static readonly Dictionary<(SessionState State, RtspMethod Method), SessionState> RecordTransitions = new()
    {
        [(SessionState.Init, RtspMethod.Setup)] = SessionState.Ready,
        [(SessionState.Init, RtspMethod.Teardown)] = SessionState.Init,
        [(SessionState.Ready, RtspMethod.Record)] = SessionState.Recording,
        [(SessionState.Ready, RtspMethod.Teardown)] = SessionState.Init,
        [(SessionState.Recording, RtspMethod.Record)] = SessionState.Recording,
        [(SessionState.Recording, RtspMethod.Pause)] = SessionState.Ready,
        [(SessionState.Recording, RtspMethod.Teardown)] = SessionState.Init,
    };

    private static readonly Dictionary<(SessionKind Kind, SessionState State), string> AllowHeaders =
        (from kind in Enum.GetValues<SessionKind>()
         from state in Enum.GetValues<SessionState>()
         select (kind, state))
        .ToDictionary(
            key => key,
            key => string.Join(", ", Order.Where(method => IsStateless(method) || TransitionsOf(key.kind).ContainsKey((key.state, method))).Select(method => method.Name())));

    /// <summary>
    /// The state <paramref name="method"/> leads a session of <paramref name="kind"/> to from <paramref name="state"/>;
    /// false when it is not valid there.
    /// </summary>
    public static bool TryNext(SessionKind kind, SessionState state, RtspMethod method, out SessionState next)
    {
        if (IsStateless(method))
        {
            next = state;
            return true;
        }

        return TransitionsOf(kind).TryGetValue((state, method), out next);
    }

    /// <summary>The methods valid for a session of <paramref name="kind"/> in <paramref name="state"/>, as an Allow header.</summary>
    public static string Allowed(SessionKind kind, SessionState state) => AllowHeaders[(kind, state)];

    /// <summary>Whether media flows in <paramref name="state"/>, to the client or from it.</summary>
    public static bool IsActive(SessionState state) => state is SessionState.Playing or SessionState.Recording;

    private static Dictionary<(SessionState State, RtspMethod Method), SessionState> TransitionsOf(SessionKind kind) =>
        kind == SessionKind.Record ? RecordTransitions : PlayTransitions;

    private static bool IsStateless(RtspMethod method) =>
        method is RtspMethod.Options or RtspMethod.Describe or RtspMethod.GetParameter or RtspMethod.SetParameter;
}
