using GrpcStream.ServiceDefaults.Tls;

namespace GrpcStream.Edge.Settings;

/// <summary>The edge's settings, bound from the <c>Edge</c> configuration section.</summary>
public sealed class EdgeOptions
{
    public const string SectionName = "Edge";

    public RtspSettings Rtsp { get; set; } = new();

    public HttpSettings Http { get; set; } = new();

    public OriginSettings Origin { get; set; } = new();

    public AuthSettings Auth { get; set; } = new();

    public RtspsSettings Rtsps { get; set; } = new();

    public ControlSettings Control { get; set; } = new();

    /// <summary>Publishers: RTSP clients that ANNOUNCE and RECORD a stream, forwarded to the origin.</summary>
    public PublishSettings Publish { get; set; } = new();

    /// <summary>Films played on demand: the frame cache their sessions share.</summary>
    public OnDemandSettings OnDemand { get; set; } = new();

    /// <summary>
    /// The edge's RTSP address as players outside should use it (<c>rtsp://cams.example.com:8554</c>), for the stream
    /// page and <c>/api/streams</c>; unset, the host the browser asked for, on the RTSP port.
    /// </summary>
    public string? PublicRtspUrl { get; set; }
}

/// <summary>The control API (<c>grpcstream.edge.v1.EdgeControl</c>, gRPC over HTTP/2).</summary>
public sealed class ControlSettings
{
    /// <summary>Its port (0: any free one).</summary>
    public int Port { get; set; } = 8090;

    public string Address { get; set; } = "0.0.0.0";

    /// <summary>Bearer tokens, any of which lets a caller in. None: only callers on loopback are answered.</summary>
    public List<string>? Tokens { get; set; }

    /// <summary>
    /// TLS on the control port with the edge's certificate (<c>Edge:Rtsps:CertificatePath</c>). Unset: on whenever
    /// that certificate is configured.
    /// </summary>
    public bool? Tls { get; set; }

    /// <summary>CA certificates (PEM) whose client certificates are credentials for the control API, as a token is.</summary>
    public string? ClientCaPath { get; set; }

    /// <summary>Whether the control port serves TLS, given the RTSPS settings.</summary>
    public bool UsesTls(RtspsSettings rtsps) => Tls ?? rtsps.CertificatePath is not null;

    /// <summary>How many <c>WatchSessions</c> streams may be open at once.</summary>
    public int MaxWatchers { get; set; } = 16;

    /// <summary>
    /// Session events one watcher may have waiting; a watcher that falls further behind is ended
    /// (RESOURCE_EXHAUSTED) and can watch again for a fresh snapshot.
    /// </summary>
    public int WatchQueue { get; set; } = 1024;
}

/// <summary>RTSP over TLS (<c>rtsps://</c>), alongside plain RTSP; started only when a certificate is configured.</summary>
public sealed class RtspsSettings
{
    public int Port { get; set; } = 8322;

    /// <summary>A PEM certificate (chain) with <see cref="KeyPath"/>, or a PFX with <see cref="CertificatePassword"/>. Reloaded when the file changes.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Allow SETUP for RTP over UDP on an RTSPS connection. Off by default: the RTP would travel unencrypted while
    /// the user believes the stream is protected; such a SETUP gets 461.
    /// </summary>
    public bool AllowUdp { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(CertificatePath);

    /// <summary>The certificate's files, when <see cref="CertificatePath"/> is set.</summary>
    public CertificateFiles Files() => new(CertificatePath!, KeyPath, CertificatePassword);
}

public sealed class RtspSettings
{
    /// <summary>TCP port for RTSP.</summary>
    public int Port { get; set; } = 8554;

    /// <summary>UDP port RTP is sent from; RTCP uses the next (odd) port. Shared by all UDP sessions.</summary>
    public int RtpPort { get; set; } = 8000;

    /// <summary>RTSP connections open at once; more are refused.</summary>
    public int MaxConnections { get; set; } = 2000;

    /// <summary>
    /// RTSP connections open at once from one client address; more are refused. Behind a NAT or a proxy every
    /// client has the same address: 0 turns the cap off.
    /// </summary>
    public int MaxConnectionsPerAddress { get; set; } = 100;

    /// <summary>Sessions at once on the whole edge; a SETUP beyond it is 503 with Retry-After.</summary>
    public int MaxSessions { get; set; } = 2000;

    /// <summary>Sessions one connection may hold at once; a SETUP beyond it is 453 Not Enough Bandwidth.</summary>
    public int MaxSessionsPerConnection { get; set; } = 16;

    /// <summary>How long a send may wait on a client that does not read before the connection is closed.</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The least <see cref="MaxQueuedBytes"/> may be: twice the room a connection keeps for its answers.</summary>
    public const int MinQueuedBytes = 128 * 1024;

    /// <summary>
    /// Bytes one connection may have waiting to be sent (responses, RTCP and interleaved frames). Frames and
    /// RTCP beyond it are dropped; responses wait, which stops the connection reading requests.
    /// </summary>
    public int MaxQueuedBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>Session timeout advertised in the Session header; a session with no request or RTCP report for this long is closed.</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long any message (request, body or interleaved packet) may take to arrive once it has started.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Silence after which a request without its blank line (the lab client's) is taken as complete.</summary>
    public TimeSpan QuietGap { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Largest RTP payload (bytes).</summary>
    public int MaxPayloadSize { get; set; } = 1400;

    /// <summary>
    /// Hand each UDP session's frame to the kernel in one call with UDP segmentation offload (Linux); when false,
    /// or where the system lacks it, every datagram is its own call.
    /// </summary>
    public bool UdpSegmentation { get; set; } = true;

    /// <summary>Frames queued for one TCP-interleaved reader before whole frames are dropped for it.</summary>
    public int TcpQueueFrames { get; set; } = 8;

    /// <summary>Interval between RTCP sender reports per session.</summary>
    public TimeSpan SenderReportInterval { get; set; } = TimeSpan.FromSeconds(5);
}

public sealed class HttpSettings
{
    /// <summary>HTTP port for /healthz, /metrics and the HTTP viewers' /streams.</summary>
    public int Port { get; set; } = 8080;

    /// <summary>The address the HTTP port listens on (every address by default; 127.0.0.1 keeps /metrics local).</summary>
    public string Address { get; set; } = "0.0.0.0";

    /// <summary>The most HTTP viewers (MJPEG streams) at once; more are refused with 503. Apart from RTSP's caps.</summary>
    public int MaxViewers { get; set; } = 500;

    /// <summary>
    /// HTTP connections open at once from one client address; more are closed as they arrive, before TLS or any
    /// request. 0 turns the cap off (behind a proxy every client has its address).
    /// </summary>
    public int MaxConnectionsPerAddress { get; set; } = 100;

    /// <summary>
    /// Addresses or CIDR blocks whose callers see the health checks' detail (stream names, origins) without a login,
    /// and <c>/metrics</c> when no user has the metrics permission. Others need a user with that permission. The
    /// default, 127.0.0.1 and ::1, is the edge's own host: its container health check, an operator on the machine.
    /// </summary>
    public List<string> TrustedAddresses { get; set; } = ["127.0.0.1/32", "::1/128"];

    /// <summary>HTTP viewers (MJPEG streams) at once from one client address; more are refused with 429 before any other work. 0: no cap.</summary>
    public int MaxViewersPerAddress { get; set; } = 50;

    /// <summary>An HTTP viewer whose writes make no progress this long is closed. Unset: <c>Edge:Rtsp:WriteTimeout</c>.</summary>
    public TimeSpan? WriteTimeout { get; set; }

    /// <summary>Frames waiting for one HTTP viewer; a viewer further behind loses its oldest waiting frame.</summary>
    public int MaxQueuedFrames { get; set; } = 2;

    /// <summary>
    /// Set, the HTTP port serves HTTPS only, with this certificate: a PEM certificate (chain) with
    /// <see cref="KeyPath"/>, or a PFX with <see cref="CertificatePassword"/>. Reloaded when the file changes.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>The certificate's files, when <see cref="CertificatePath"/> is set.</summary>
    public CertificateFiles Files() => new(CertificatePath!, KeyPath, CertificatePassword);
}

public sealed class OriginSettings
{
    /// <summary>The origin's gRPC address, when there is one origin (see <see cref="Addresses"/>).</summary>
    public string Address { get; set; } = "http://127.0.0.1:50051";

    /// <summary>
    /// The origins in order of preference; wins over <see cref="Address"/> when set. Each stream is watched from the
    /// first that has it and is healthy, and moves to the next when that one fails.
    /// </summary>
    public List<string>? Addresses { get; set; }

    /// <summary>How long a more preferred origin must have been healthy before streams move back to it.</summary>
    public TimeSpan FailbackAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether sessions get a generated "stream unavailable" picture while no origin can deliver their stream.</summary>
    public bool Slate { get; set; } = true;

    /// <summary>How long a stream is without frames, with no origin delivering it, before the slate starts.</summary>
    public TimeSpan SlateAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The origins to use, in order: <see cref="Addresses"/> when set, else <see cref="Address"/> alone.</summary>
    public IReadOnlyList<string> OriginAddresses => Addresses is { Count: > 0 } list ? list : [Address];

    /// <summary>How long DESCRIBE waits for the origin before answering 503.</summary>
    public TimeSpan DescribeTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a stream's origin subscription is kept after its last session leaves.</summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First reconnect delay; doubles (with jitter) up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the circuit stays open (no attempts) after repeated failures.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>For an https:// origin: a PEM file of the CA(s) its certificate must chain to (a private CA).</summary>
    public string? CaPath { get; set; }

    /// <summary>The edge's client certificate (PEM, with <see cref="ClientKeyPath"/>) for an origin that requires one. Reloaded when it changes.</summary>
    public string? ClientCertificatePath { get; set; }

    public string? ClientKeyPath { get; set; }

    /// <summary>A bearer token sent with every call, for an origin with Origin:Auth:Tokens.</summary>
    public string? Token { get; set; }

    /// <summary>The bearer token sent when forwarding a published stream (the origin's Origin:Publish:Tokens); none: <see cref="Token"/>'s calls without one.</summary>
    public string? PublishToken { get; set; }
}

/// <summary>RTSP publishing (<c>Edge:Publish</c>): ANNOUNCE, SETUP with mode=record, RECORD.</summary>
public sealed class PublishSettings
{
    /// <summary>Publishers at once on this edge; more are refused with 503.</summary>
    public int MaxPublishers { get; set; } = 100;

    /// <summary>Whole frames waiting to go to the origin per publisher; past it the oldest is dropped (and counted).</summary>
    public int MaxQueuedFrames { get; set; } = 8;

    /// <summary>The largest frame a publisher may send (the origin's own limit may be lower).</summary>
    public int MaxFrameBytes { get; set; } = GrpcStream.Rtsp.Jpeg.RtpJpegCompatibility.MaxFrameBytes;
}

/// <summary>Films played on demand (<c>Edge:OnDemand</c>): each session at its own position, from one cache.</summary>
public sealed class OnDemandSettings
{
    /// <summary>
    /// Bytes of films' frames kept, packetized, for every session of every film (256 MiB by default); the least
    /// recently used go first. A frame being sent stays until it is sent.
    /// </summary>
    public long CacheBytes { get; set; } = 256L << 20;

    /// <summary>Frames asked of the origin in one run: misses of one run by many sessions are one fetch.</summary>
    public int RunFrames { get; set; } = 32;

    /// <summary>Frames fetched ahead of each playing session's position, so that it never waits at a run's end.</summary>
    public int ReadAheadFrames { get; set; } = 64;

    /// <summary>How long a session whose next frames no origin serves waits before asking again (it holds its place meanwhile).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one run may take to come from the origins before it counts as failed (and is asked again).</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
