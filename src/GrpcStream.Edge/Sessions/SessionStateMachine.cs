using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Edge.Sessions;

/// <summary>RTSP session states (RFC 2326 appendix A.1, server side). Recording is not served.</summary>
public enum SessionState
{
    Init,
    Ready,
    Playing,
}

/// <summary>
/// RFC 2326 appendix A.1's server state table. A method not in it for a state is answered 455 Method Not Valid
/// in This State, with <see cref="Allowed"/> as the Allow header. OPTIONS, DESCRIBE, GET_PARAMETER and
/// SET_PARAMETER are valid in every state and change nothing.
/// </summary>
internal static class SessionStateMachine
{
    private static readonly RtspMethod[] Order =
    [
        RtspMethod.Options, RtspMethod.Describe, RtspMethod.Setup, RtspMethod.Play, RtspMethod.Pause,
        RtspMethod.Teardown, RtspMethod.GetParameter, RtspMethod.SetParameter,
    ];

    private static readonly Dictionary<(SessionState State, RtspMethod Method), SessionState> Transitions = new()
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

    private static readonly Dictionary<SessionState, string> AllowHeaders = Enum.GetValues<SessionState>().ToDictionary(
        state => state,
        state => string.Join(", ", Order.Where(method => IsStateless(method) || Transitions.ContainsKey((state, method))).Select(method => method.Name())));

    /// <summary>The state <paramref name="method"/> leads to from <paramref name="state"/>; false when it is not valid there.</summary>
    public static bool TryNext(SessionState state, RtspMethod method, out SessionState next)
    {
        if (IsStateless(method))
        {
            next = state;
            return true;
        }

        return Transitions.TryGetValue((state, method), out next);
    }

    /// <summary>The methods valid in <paramref name="state"/>, as an Allow header.</summary>
    public static string Allowed(SessionState state) => AllowHeaders[state];

    private static bool IsStateless(RtspMethod method) =>
        method is RtspMethod.Options or RtspMethod.Describe or RtspMethod.GetParameter or RtspMethod.SetParameter;
}
