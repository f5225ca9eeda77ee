using System.Globalization;
using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Origin;
using GrpcStream.Edge.Sessions;
using Microsoft.Extensions.Options;

namespace GrpcStream.Edge.Http;

/// <summary>What a browser user sees first: <c>GET /</c>, a page of the streams with live previews, and
/// <c>GET /api/streams</c>, the same as JSON.</summary>
internal sealed class StreamListEndpoints(
    Origin.OriginLink origin,
    SessionRegistry sessions,
    RtspPort rtsp,
    HttpAccess access,
    IOptions<EdgeOptions> options)
{
    /// <summary>How many of a hooked caller's streams are asked about at once.</summary>
    private const int MaxHookQuestions = 8;

    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = typeof(StreamListEndpoints).Assembly.GetManifestResourceStream("GrpcStream.Edge.Http.index.html")
            ?? throw new InvalidOperationException("The page is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    private readonly string? _publicRtspUrl = options.Value.PublicRtspUrl;

    public static void Map(WebApplication app)
    {
        app.MapGet("/", async context =>
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.Body.WriteAsync(Page.Value, context.RequestAborted).ConfigureAwait(false);
        });
        app.MapGet("/api/streams", (HttpContext context, StreamListEndpoints endpoints) => endpoints.ListAsync(context));
        app.MapGet("/login", (HttpContext context, StreamListEndpoints endpoints) => endpoints.LogInAsync(context));
    }

    /// <summary>Asks the browser to log in (a Basic challenge), then sends it back to the page.</summary>
    private async Task LogInAsync(HttpContext context)
    {
        if (await access.IdentifyAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        if (caller.IsAnonymous && access.CanLogIn(context))
        {
            await access.ChallengeAsync(context, "log in to see the streams", counted: false).ConfigureAwait(false);
            return;
        }

        context.Response.Redirect("/");
    }

    private async Task<IResult> ListAsync(HttpContext context)
    {
        if (await access.IdentifyAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return Results.Empty;
        }

        IReadOnlyList<Protos.Origin.V1.StreamDescription> streams;
        try
        {
            streams = await origin.ListStreamsAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (OriginUnavailableException ex)
        {
            return Results.Text(ex.Message.ReplaceLineEndings(" ") + "\n", "text/plain; charset=utf-8", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        // Viewers by stream and kind, counted once over the sessions there are now.
        var viewers = sessions.All
            .Where(s => s.Kind != SessionKind.Record)
            .GroupBy(s => (Name: s.Stream, Http: s.Kind == SessionKind.View))
            .ToDictionary(g => g.Key, g => g.Count());
        var rtspBase = RtspBase(context);
        context.Response.Headers.CacheControl = "no-store";
        var readable = await ReadableAsync(caller, streams, context.RequestAborted).ConfigureAwait(false);
        var hidden = streams.Count - readable.Length;
        return Results.Json(new StreamList(hidden, hidden > 0 && caller.IsAnonymous && access.CanLogIn(context) ? "/login" : null, [.. readable.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => new StreamView(
            s.Name,
            (int)s.Width,
            (int)s.Height,
            s.FrameRate,
            new ViewerCounts(viewers.GetValueOrDefault((s.Name, false)), viewers.GetValueOrDefault((s.Name, true))),
            $"{rtspBase}/{Requests.StreamPaths.UrlPath(s.Name)}",
            $"/streams/{Requests.StreamPaths.UrlPath(s.Name)}.mjpeg",
            $"/streams/{Requests.StreamPaths.UrlPath(s.Name)}.jpg"))]));
    }

    // For a hooked caller the hook is asked about each stream (a few at a time; its answers are cached).
    private static async Task<Protos.Origin.V1.StreamDescription[]> ReadableAsync(HttpCaller caller, IReadOnlyList<Protos.Origin.V1.StreamDescription> streams, CancellationToken cancellationToken)
    {
        var allowed = new bool[streams.Count];
        await Parallel.ForAsync(0, streams.Count, new ParallelOptions { MaxDegreeOfParallelism = MaxHookQuestions, CancellationToken = cancellationToken }, async (i, token) =>
            allowed[i] = await caller.MayReadAsync(streams[i].Name, token).ConfigureAwait(false)).ConfigureAwait(false);
        return [.. streams.Where((_, i) => allowed[i])];
    }

    /// <summary><c>Edge:PublicRtspUrl</c>, or rtsp:// at the host the browser asked for, on the RTSP port.</summary>
    private string RtspBase(HttpContext context)
    {
        if (_publicRtspUrl is { Length: > 0 } configured)
        {
            return configured.TrimEnd('/');
        }

        var host = context.Request.Host.Host;
        if (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('['))
        {
            host = $"[{host}]";
        }

        return string.Create(CultureInfo.InvariantCulture, $"rtsp://{host}:{rtsp.Value}");
    }

    /// <param name="Hidden">Streams there are that the caller may not read (a login may show them).</param>
    /// <param name="LoginUrl">Where a browser logs in, when that would help.</param>
    /// <param name="Streams">What the caller may read.</param>
    private sealed record StreamList(int Hidden, string? LoginUrl, IReadOnlyList<StreamView> Streams);

    private sealed record StreamView(string Name, int Width, int Height, double FrameRate, ViewerCounts Viewers, string RtspUrl, string MjpegUrl, string SnapshotUrl);

    private sealed record ViewerCounts(int Rtsp, int Http);
}
