using GrpcStream.Rtsp.Client;

namespace GrpcStream.Cli.Output;

/// <summary>What the RTSP client's warnings say to the person at the terminal.</summary>
internal static class ClientWarningText
{
    public static string Of(RtspClientWarning warning) => warning switch
    {
        RtspClientWarning.BasicAuthenticationOnly => "the server accepts only Basic authentication: the password crosses the network readable by anyone on the way",
        _ => warning.ToString(),
    };
}
