namespace GrpcStream.Rtsp.Messages;

/// <summary>The RTSP status codes this project uses (RFC 2326 7.1.1), and their reason phrases.</summary>
public static class RtspStatusCode
{
    public const int Ok = 200;
    public const int BadRequest = 400;
    public const int Unauthorized = 401;
    public const int Forbidden = 403;
    public const int NotFound = 404;
    public const int MethodNotAllowed = 405;
    public const int RequestTimeout = 408;
    public const int RequestEntityTooLarge = 413;
    public const int RequestUriTooLarge = 414;
    public const int UnsupportedMediaType = 415;
    public const int RequestHeaderFieldsTooLarge = 431;
    public const int ParameterNotUnderstood = 451;
    public const int NotEnoughBandwidth = 453;
    public const int SessionNotFound = 454;
    public const int MethodNotValidInThisState = 455;
    public const int HeaderFieldNotValidForResource = 456;
    public const int InvalidRange = 457;
    public const int AggregateOperationNotAllowed = 459;
    public const int OnlyAggregateOperationAllowed = 460;
    public const int UnsupportedTransport = 461;
    public const int InternalServerError = 500;
    public const int NotImplemented = 501;
    public const int BadGateway = 502;
    public const int ServiceUnavailable = 503;
    public const int GatewayTimeout = 504;
    public const int RtspVersionNotSupported = 505;
    public const int OptionNotSupported = 551;

    public static string ReasonPhrase(int code) => code switch
    {
        Ok => "OK",
        BadRequest => "Bad Request",
        Unauthorized => "Unauthorized",
        Forbidden => "Forbidden",
        NotFound => "Not Found",
        MethodNotAllowed => "Method Not Allowed",
        RequestTimeout => "Request Timeout",
        RequestEntityTooLarge => "Request Entity Too Large",
        RequestUriTooLarge => "Request-URI Too Large",
        UnsupportedMediaType => "Unsupported Media Type",
        RequestHeaderFieldsTooLarge => "Request Header Fields Too Large",
        ParameterNotUnderstood => "Parameter Not Understood",
        NotEnoughBandwidth => "Not Enough Bandwidth",
        SessionNotFound => "Session Not Found",
        MethodNotValidInThisState => "Method Not Valid in This State",
        HeaderFieldNotValidForResource => "Header Field Not Valid for Resource",
        InvalidRange => "Invalid Range",
        AggregateOperationNotAllowed => "Aggregate Operation Not Allowed",
        OnlyAggregateOperationAllowed => "Only Aggregate Operation Allowed",
        UnsupportedTransport => "Unsupported Transport",
        InternalServerError => "Internal Server Error",
        NotImplemented => "Not Implemented",
        BadGateway => "Bad Gateway",
        ServiceUnavailable => "Service Unavailable",
        GatewayTimeout => "Gateway Timeout",
        RtspVersionNotSupported => "RTSP Version Not Supported",
        OptionNotSupported => "Option not supported",
        _ => code switch
        {
            < 200 => "Informational",
            < 300 => "Success",
            < 400 => "Redirection",
            < 500 => "Client Error",
            _ => "Server Error",
        },
    };
}
