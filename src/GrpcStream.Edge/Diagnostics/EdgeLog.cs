namespace GrpcStream.Edge.Diagnostics;

/// <summary>The edge's log messages, source-generated.</summary>
internal static partial class EdgeLog
{
    [LoggerMessage(1, LogLevel.Information, "Edge serving RTSP on port {RtspPort} (RTP/RTCP {RtpPort}-{RtcpPort}), origin {Origin}")]
    public static partial void Listening(ILogger logger, int rtspPort, int rtpPort, int rtcpPort, string origin);

    [LoggerMessage(2, LogLevel.Information, "Origin stream {Stream} connected to {Origin} (resumed after {ResumeAfter})")]
    public static partial void OriginConnected(ILogger logger, string stream, string origin, string resumeAfter);

    [LoggerMessage(3, LogLevel.Warning, "Origin stream {Stream} lost: {Reason}; sessions stay up while reconnecting")]
    public static partial void OriginLost(ILogger logger, string stream, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Origin stream {Stream}: attempt {Attempt} failed ({Reason}); next in {DelayMs:F0} ms")]
    public static partial void OriginRetry(ILogger logger, string stream, int attempt, double delayMs, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Origin {Origin}: circuit open for {Seconds} s after repeated failures; streams use the other origins meanwhile")]
    public static partial void CircuitOpened(ILogger logger, string origin, double seconds);

    [LoggerMessage(6, LogLevel.Information, "Origin {Origin}: circuit closed")]
    public static partial void CircuitClosed(ILogger logger, string origin);

    [LoggerMessage(7, LogLevel.Information, "Session {Session} {Stream} set up over {Transport} for {Client}")]
    public static partial void SessionCreated(ILogger logger, string session, string stream, string transport, string client);

    [LoggerMessage(8, LogLevel.Information, "Session {Session} closed ({Reason}): {Frames} frames, {Packets} packets sent, {Dropped} frames dropped")]
    public static partial void SessionClosed(ILogger logger, string session, string reason, long frames, long packets, long dropped);

    [LoggerMessage(56, LogLevel.Information, "Session {Session} publishing {Stream} closed ({Reason}): {Frames} frames received, {Dropped} frames lost")]
    public static partial void PublishingSessionClosed(ILogger logger, string session, string stream, string reason, long frames, long dropped);

    [LoggerMessage(9, LogLevel.Warning, "Connection {Client}: {Reason}; closing it")]
    public static partial void BadClient(ILogger logger, string client, string reason);

    [LoggerMessage(10, LogLevel.Warning, "Stream {Stream}: frame {Sequence} cannot be sent as RTP/JPEG ({Reason}); skipped")]
    public static partial void FrameNotCarriable(ILogger logger, string stream, ulong sequence, string reason);

    [LoggerMessage(11, LogLevel.Warning, "Connection refused from {Client}: {Reason}")]
    public static partial void ConnectionRefused(ILogger logger, string client, string reason);

    [LoggerMessage(13, LogLevel.Error, "Unexpected error on connection {Client}")]
    public static partial void ConnectionFailed(ILogger logger, string client, Exception exception);

    [LoggerMessage(14, LogLevel.Error, "Watching {Stream} at the origin failed")]
    public static partial void WatchFailed(ILogger logger, string stream, Exception exception);

    [LoggerMessage(15, LogLevel.Information, "This system does not segment UDP; RTP goes out one datagram per call")]
    public static partial void UdpSegmentationOff(ILogger logger);

    [LoggerMessage(16, LogLevel.Warning, "Accepting connections failed ({Reason}); trying again in {DelayMs:F0} ms")]
    public static partial void AcceptBackoff(ILogger logger, string reason, double delayMs);

    [LoggerMessage(18, LogLevel.Warning, "Edge:Rtsp:MaxConnections is {Configured}, but the open-file limit leaves room for {Allowed} connections (keeping {Reserve} descriptors free): at most {Allowed} are accepted; raise the limit (ulimit -n) to allow more")]
    public static partial void ConnectionsCappedByFileLimit(ILogger logger, int configured, int allowed, int reserve);

    [LoggerMessage(17, LogLevel.Information, "SETUP refused for {Client}: {Reason}")]
    public static partial void SetupRefused(ILogger logger, string client, string reason);

    [LoggerMessage(30, LogLevel.Warning, "No users configured (Edge:Auth:Users): anyone who reaches the edge may play every stream")]
    public static partial void AuthOpen(ILogger logger);

    [LoggerMessage(31, LogLevel.Information, "Authentication on: {Users} users, methods {Methods}")]
    public static partial void AuthUsers(ILogger logger, int users, string methods);

    [LoggerMessage(32, LogLevel.Warning, "User {User} has a hashed password, which only Basic can check; Basic is not in Edge:Auth:Methods, so this user cannot log in over plain RTSP")]
    public static partial void HashedPasswordNeedsBasic(ILogger logger, string user);

    [LoggerMessage(33, LogLevel.Warning, "Authentication failed for {Client} ({Method} {Uri}): {Reason}")]
    public static partial void AuthFailed(ILogger logger, string client, string method, string uri, string reason);

    [LoggerMessage(34, LogLevel.Information, "RTSPS certificate loaded: {Subject}, valid until {NotAfter}")]
    public static partial void CertificateLoaded(ILogger logger, string subject, string notAfter);

    [LoggerMessage(35, LogLevel.Warning, "RTSPS certificate could not be reloaded ({Reason}); the previous one is still served")]
    public static partial void CertificateReloadFailed(ILogger logger, string reason);

    [LoggerMessage(36, LogLevel.Information, "Edge serving RTSPS on port {Port}")]
    public static partial void ListeningTls(ILogger logger, int port);

    [LoggerMessage(37, LogLevel.Information, "TLS handshake with {Client} failed: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string client, string reason);

    [LoggerMessage(38, LogLevel.Information, "Client certificate for the origin loaded: {Subject}, valid until {NotAfter}")]
    public static partial void ClientCertificateLoaded(ILogger logger, string subject, string notAfter);

    [LoggerMessage(39, LogLevel.Warning, "Asking the origin about {Stream} failed: {Reason}")]
    public static partial void OriginCallFailed(ILogger logger, string stream, string reason);

    [LoggerMessage(40, LogLevel.Warning, "The authentication hook {Hook} failed ({Reason}): denied")]
    public static partial void AuthHookFailed(ILogger logger, string hook, string reason);

    [LoggerMessage(41, LogLevel.Information, "Authentication hook {Hook} decides for users not configured here ({Where})")]
    public static partial void AuthHookOn(ILogger logger, string hook, string where);

    [LoggerMessage(42, LogLevel.Warning, "Session {Session} of {Client} kicked through the control API: {Reason}")]
    public static partial void SessionKicked(ILogger logger, string session, string client, string reason);

    [LoggerMessage(43, LogLevel.Warning, "Draining: new sessions are refused; {Sessions} sessions play on until they end (deadline {Deadline})")]
    public static partial void Draining(ILogger logger, int sessions, string deadline);

    [LoggerMessage(44, LogLevel.Information, "Drain lifted: new sessions are taken again")]
    public static partial void Undrained(ILogger logger);

    [LoggerMessage(45, LogLevel.Warning, "Control API: client certificate {Subject} refused: {Reason}")]
    public static partial void ControlCertificateRefused(ILogger logger, string subject, string reason);

    [LoggerMessage(46, LogLevel.Information, "HTTP viewer {Remote} of {Stream} closed: no write progress for {Timeout}")]
    public static partial void ViewerStalled(ILogger logger, string remote, string stream, TimeSpan timeout);

    [LoggerMessage(47, LogLevel.Information, "HTTP viewer {Remote} refused: {Reason}")]
    public static partial void ViewerRefused(ILogger logger, string remote, string reason);

    [LoggerMessage(48, LogLevel.Information, "Publisher {Remote} announced {Stream} at {FrameRate} fps")]
    public static partial void PublishAnnounced(ILogger logger, string remote, string stream, double frameRate);

    [LoggerMessage(49, LogLevel.Information, "Publisher of {Stream} recording")]
    public static partial void PublishRecording(ILogger logger, string stream);

    [LoggerMessage(50, LogLevel.Information, "Publisher of {Stream} ended ({Why}): {Frames} frames forwarded to the origin; origin failure: {Failure}")]
    public static partial void PublishEnded(ILogger logger, string stream, string why, long frames, string failure);

    [LoggerMessage(51, LogLevel.Warning, "The origin refused the publication of {Stream}: {Status}: {Detail}")]
    public static partial void PublishRefusedByOrigin(ILogger logger, string stream, string status, string detail);

    [LoggerMessage(52, LogLevel.Warning, "Origin stream {Stream} moves from {From} to {To}: {Reason}")]
    public static partial void OriginSwitched(ILogger logger, string stream, string from, string to, string reason);

    [LoggerMessage(53, LogLevel.Warning, "Stream {Stream}: no frame for {Seconds:F1} s; its sessions get the slate ({Width}x{Height}) until frames come again")]
    public static partial void SlateStarted(ILogger logger, string stream, double seconds, int width, int height);

    [LoggerMessage(54, LogLevel.Information, "Stream {Stream}: real frames again after {Seconds:F1} s on the slate")]
    public static partial void SlateEnded(ILogger logger, string stream, double seconds);

    [LoggerMessage(55, LogLevel.Warning, "Published stream {Stream}: origin {Origin} lost ({Reason}); publishing to the next origin")]
    public static partial void PublishOriginLost(ILogger logger, string stream, string origin, string reason);
}
