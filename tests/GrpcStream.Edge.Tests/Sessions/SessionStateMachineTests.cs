using GrpcStream.Edge.Sessions;
using GrpcStream.Rtsp.Messages;

namespace GrpcStream.Edge.Tests.Sessions;

/// <summary>RFC 2326 appendix A.1, server side, row by row, for players and for publishers.</summary>
public class SessionStateMachineTests
{
    [Theory]
    [InlineData(SessionState.Init, RtspMethod.Setup, SessionState.Ready)]
    [InlineData(SessionState.Init, RtspMethod.Teardown, SessionState.Init)]
    [InlineData(SessionState.Ready, RtspMethod.Play, SessionState.Playing)]
    [InlineData(SessionState.Ready, RtspMethod.Setup, SessionState.Ready)]
    [InlineData(SessionState.Ready, RtspMethod.Teardown, SessionState.Init)]
    [InlineData(SessionState.Playing, RtspMethod.Play, SessionState.Playing)]
    [InlineData(SessionState.Playing, RtspMethod.Pause, SessionState.Ready)]
    [InlineData(SessionState.Playing, RtspMethod.Teardown, SessionState.Init)]
    [InlineData(SessionState.Playing, RtspMethod.Setup, SessionState.Playing)]
    [InlineData(SessionState.Playing, RtspMethod.GetParameter, SessionState.Playing)]
    [InlineData(SessionState.Ready, RtspMethod.SetParameter, SessionState.Ready)]
    [InlineData(SessionState.Ready, RtspMethod.Options, SessionState.Ready)]
    public void A_valid_method_leads_a_player_to_the_tables_state(SessionState from, RtspMethod method, SessionState expected)
    {
        foreach (var kind in new[] { SessionKind.Play, SessionKind.View })
        {
            Assert.True(SessionStateMachine.TryNext(kind, from, method, out var next));
            Assert.Equal(expected, next);
        }
    }

    [Theory]
    [InlineData(SessionState.Init, RtspMethod.Setup, SessionState.Ready)]
    [InlineData(SessionState.Init, RtspMethod.Teardown, SessionState.Init)]
    [InlineData(SessionState.Ready, RtspMethod.Record, SessionState.Recording)]
    [InlineData(SessionState.Ready, RtspMethod.Teardown, SessionState.Init)]
    [InlineData(SessionState.Recording, RtspMethod.Record, SessionState.Recording)]
    [InlineData(SessionState.Recording, RtspMethod.Pause, SessionState.Ready)]
    [InlineData(SessionState.Recording, RtspMethod.Teardown, SessionState.Init)]
    [InlineData(SessionState.Recording, RtspMethod.GetParameter, SessionState.Recording)]
    public void A_valid_method_leads_a_publisher_to_the_tables_state(SessionState from, RtspMethod method, SessionState expected)
    {
        Assert.True(SessionStateMachine.TryNext(SessionKind.Record, from, method, out var next));
        Assert.Equal(expected, next);
    }

    [Theory]
    [InlineData(SessionState.Init, RtspMethod.Play)]
    [InlineData(SessionState.Init, RtspMethod.Record)]
    [InlineData(SessionState.Ready, RtspMethod.Setup)]
    [InlineData(SessionState.Ready, RtspMethod.Play)]
    [InlineData(SessionState.Ready, RtspMethod.Pause)]
    [InlineData(SessionState.Recording, RtspMethod.Play)]
    [InlineData(SessionState.Recording, RtspMethod.Setup)]
    public void Any_other_method_is_not_valid_for_a_publisher_in_that_state(SessionState from, RtspMethod method) =>
        Assert.False(SessionStateMachine.TryNext(SessionKind.Record, from, method, out _));

    [Theory]
    [InlineData(SessionState.Init, RtspMethod.Play)]
    [InlineData(SessionState.Init, RtspMethod.Pause)]
    [InlineData(SessionState.Ready, RtspMethod.Pause)]
    [InlineData(SessionState.Ready, RtspMethod.Record)]
    [InlineData(SessionState.Playing, RtspMethod.Record)]
    [InlineData(SessionState.Playing, RtspMethod.Announce)]
    public void Any_other_method_is_not_valid_for_a_player_in_that_state(SessionState from, RtspMethod method) =>
        Assert.False(SessionStateMachine.TryNext(SessionKind.Play, from, method, out _));

    [Fact]
    public void Allow_lists_exactly_the_valid_methods_in_the_order_of_public()
    {
        Assert.Equal("OPTIONS, DESCRIBE, SETUP, TEARDOWN, GET_PARAMETER, SET_PARAMETER", SessionStateMachine.Allowed(SessionKind.Play, SessionState.Init));
        Assert.Equal("OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER, SET_PARAMETER", SessionStateMachine.Allowed(SessionKind.Play, SessionState.Ready));
        Assert.Equal("OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER", SessionStateMachine.Allowed(SessionKind.View, SessionState.Playing));
        Assert.Equal("OPTIONS, DESCRIBE, SETUP, TEARDOWN, GET_PARAMETER, SET_PARAMETER", SessionStateMachine.Allowed(SessionKind.Record, SessionState.Init));
        Assert.Equal("OPTIONS, DESCRIBE, RECORD, TEARDOWN, GET_PARAMETER, SET_PARAMETER", SessionStateMachine.Allowed(SessionKind.Record, SessionState.Ready));
        Assert.Equal("OPTIONS, DESCRIBE, PAUSE, RECORD, TEARDOWN, GET_PARAMETER, SET_PARAMETER", SessionStateMachine.Allowed(SessionKind.Record, SessionState.Recording));
    }
}
