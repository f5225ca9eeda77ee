namespace GrpcStream.Rtsp.Messages;

/// <summary>RTSP 1.0 methods (RFC 2326 10); <see cref="Unknown"/> for any other token.</summary>
public enum RtspMethod
{
    Unknown,
    Options,
    Describe,
    Announce,
    Setup,
    Play,
    Pause,
    Teardown,
    GetParameter,
    SetParameter,
    Record,
    Redirect,
}

public static class RtspMethods
{
    /// <summary>The method for a request-line token (methods are case-sensitive).</summary>
    public static RtspMethod Parse(ReadOnlySpan<byte> token) => token switch
    {
        _ when token.SequenceEqual("OPTIONS"u8) => RtspMethod.Options,
        _ when token.SequenceEqual("DESCRIBE"u8) => RtspMethod.Describe,
        _ when token.SequenceEqual("SETUP"u8) => RtspMethod.Setup,
        _ when token.SequenceEqual("PLAY"u8) => RtspMethod.Play,
        _ when token.SequenceEqual("PAUSE"u8) => RtspMethod.Pause,
        _ when token.SequenceEqual("TEARDOWN"u8) => RtspMethod.Teardown,
        _ when token.SequenceEqual("GET_PARAMETER"u8) => RtspMethod.GetParameter,
        _ when token.SequenceEqual("SET_PARAMETER"u8) => RtspMethod.SetParameter,
        _ when token.SequenceEqual("ANNOUNCE"u8) => RtspMethod.Announce,
        _ when token.SequenceEqual("RECORD"u8) => RtspMethod.Record,
        _ when token.SequenceEqual("REDIRECT"u8) => RtspMethod.Redirect,
        _ => RtspMethod.Unknown,
    };

    public static string Name(this RtspMethod method) => method switch
    {
        RtspMethod.Options => "OPTIONS",
        RtspMethod.Describe => "DESCRIBE",
        RtspMethod.Setup => "SETUP",
        RtspMethod.Play => "PLAY",
        RtspMethod.Pause => "PAUSE",
        RtspMethod.Teardown => "TEARDOWN",
        RtspMethod.GetParameter => "GET_PARAMETER",
        RtspMethod.SetParameter => "SET_PARAMETER",
        RtspMethod.Announce => "ANNOUNCE",
        RtspMethod.Record => "RECORD",
        RtspMethod.Redirect => "REDIRECT",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "An unknown method has no name of its own."),
    };
}
