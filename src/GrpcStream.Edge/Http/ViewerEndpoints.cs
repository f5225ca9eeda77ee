using System.Globalization;
using GrpcStream.Edge.Diagnostics;
using GrpcStream.Edge.Settings;
using GrpcStream.Edge.Origin;
using GrpcStream.Edge.Sessions;
using GrpcStream.Edge.Streams;
using GrpcStream.Rtsp.Messages;
using Microsoft.Extensions.Options;
using GrpcStream.Shared.Net;

namespace GrpcStream.Edge.Http;

/// <summary>
/// Streams for browsers on the edge's HTTP port: <c>GET /streams/NAME.mjpeg</c> (every frame, or <c>?fps=N</c>, as
/// <c>multipart/x-mixed-replace</c>) and <c>GET /streams/NAME.jpg</c> (the latest frame, or with <c>?wait=1</c>
/// the next). Names may contain '/': the route takes the rest of the path.
/// </summary>
internal sealed class ViewerEndpoints(
    StreamHubRegistry hubs,
    SessionManager sessions,
    EdgeMetrics metrics,
    HttpAccess access,
    IOptions<EdgeOptions> options,
    TimeProvider time,
    ILogger<ViewerEndpoints> logger)
{
    private const string MjpegSuffix = ".mjpeg";
    private const string JpegSuffix = ".jpg";

    // A viewer may thin a stream down to a frame a minute, and asks for at most what a source could have.
    private const double MinFps = 1 / 60.0;
    private const double MaxFps = 1000;

    private readonly HttpSettings _settings = options.Value.Http;
    private readonly AddressCounts _viewersPerAddress = new(options.Value.Http.MaxViewersPerAddress);
    private readonly TimeSpan _writeTimeout = options.Value.Http.WriteTimeout ?? options.Value.Rtsp.WriteTimeout;
    private readonly TimeSpan _firstFrameTimeout = options.Value.Origin.DescribeTimeout;

    public static void Map(WebApplication app) =>
        app.MapGet("/streams/{**path}", (HttpContext context, string? path, ViewerEndpoints endpoints) => endpoints.ServeAsync(context, path ?? string.Empty));

    private async Task ServeAsync(HttpContext context, string path)
    {
        var mjpeg = path.EndsWith(MjpegSuffix, StringComparison.Ordinal);
        var name = mjpeg ? path[..^MjpegSuffix.Length] : path.EndsWith(JpegSuffix, StringComparison.Ordinal) ? path[..^JpegSuffix.Length] : null;
        if (name is null || !Requests.StreamPaths.IsStreamName(name))
        {
            await HttpAccess.Answer(context, StatusCodes.Status404NotFound, $"no such resource: /streams/{path} (streams are /streams/NAME.mjpeg and /streams/NAME.jpg)").ConfigureAwait(false);
            return;
        }

        // The viewer cap of the address comes first: a refused viewer costs no password check and no look-up.
        var address = context.Connection.RemoteIpAddress ?? System.Net.IPAddress.None;
        if (mjpeg && !_viewersPerAddress.TryAdd(address))
        {
            metrics.LimitHit(EdgeLimits.HttpViewersPerAddress);
            EdgeLog.ViewerRefused(logger, Remote(context), $"{_viewersPerAddress.Limit} viewers from its address");
            context.Response.Headers.RetryAfter = "5";
            await HttpAccess.Answer(context, StatusCodes.Status429TooManyRequests, $"{_viewersPerAddress.Limit} streams are open from your address (Edge:Http:MaxViewersPerAddress)").ConfigureAwait(false);
            return;
        }

        try
        {
            // Before anything is looked up: whether a stream exists is not told to those who may not read it.
            if (await access.IdentifyAsync(context).ConfigureAwait(false) is not { } caller)
            {
                return;
            }

            if (!await caller.MayReadAsync(name, context.RequestAborted).ConfigureAwait(false))
            {
                await access.RefuseReadAsync(context, caller, name).ConfigureAwait(false);
                return;
            }

            await (mjpeg ? ServeMjpegAsync(context, name) : ServeSnapshotAsync(context, name)).ConfigureAwait(false);
        }
        finally
        {
            if (mjpeg)
            {
                _viewersPerAddress.Remove(address);
            }
        }
    }

    private async Task ServeMjpegAsync(HttpContext context, string name)
    {
        double? fps = null;
        if (context.Request.Query["fps"] is { Count: > 0 } asked)
        {
            if (!double.TryParse(asked[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) || !(rate >= MinFps && rate <= MaxFps))
            {
                await HttpAccess.Answer(context, StatusCodes.Status400BadRequest, $"fps must be a number from {MinFps:0.####} to {MaxFps:0} (was '{asked[0]}')").ConfigureAwait(false);
                return;
            }

            fps = rate;
        }

        using var lease = await LeaseAsync(context, name).ConfigureAwait(false);
        if (lease is null)
        {
            return;
        }

        var aborted = context.RequestAborted;
        var transport = new MjpegTransport(_settings.MaxQueuedFrames, fps, _writeTimeout, context.Abort, time, metrics);
        Session session;
        try
        {
            session = sessions.CreateViewer(new HttpViewer(context), lease, transport);
        }
        catch (SetupRefusedException ex)
        {
            EdgeLog.ViewerRefused(logger, Remote(context), ex.Message);
            if (ex.RetryAfter is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = ((int)retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            }

            await HttpAccess.Answer(context, ex.StatusCode, ex.Message).ConfigureAwait(false);
            return;
        }

        var reason = SessionEndReason.Disconnected;
        try
        {
            context.Response.ContentType = $"multipart/x-mixed-replace; boundary={MjpegTransport.Boundary}";
            context.Response.Headers.CacheControl = "no-store";
            await context.Response.StartAsync(aborted).ConfigureAwait(false);
            if (sessions.Apply(session, RtspMethod.Play))
            {
                session.Player.StartSending(); // the latest frame at once, then every frame
            }

            if (!await transport.WriteAsync(context.Response.BodyWriter, session.Player, aborted).ConfigureAwait(false))
            {
                reason = SessionEndReason.Error;
                metrics.LimitHit(EdgeLimits.HttpWriteTimeout);
                EdgeLog.ViewerStalled(logger, Remote(context), name, _writeTimeout);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && aborted.IsCancellationRequested)
        {
            // The viewer went away.
        }
        finally
        {
            sessions.Close(session, reason);
        }
    }

    private async Task ServeSnapshotAsync(HttpContext context, string name)
    {
        var wait = context.Request.Query["wait"] is { Count: > 0 } asked && asked[0] is "1" or "true";
        using var lease = await LeaseAsync(context, name).ConfigureAwait(false);
        if (lease is null)
        {
            return;
        }

        var frame = wait
            ? await lease.Source.NextFrameAsync(_firstFrameTimeout, context.RequestAborted).ConfigureAwait(false)
            : lease.Source.Latest();
        if (frame is null)
        {
            await HttpAccess.Answer(context, StatusCodes.Status503ServiceUnavailable, $"no frame of '{name}' from the origin within {_firstFrameTimeout.TotalSeconds:0.#} s").ConfigureAwait(false);
            return;
        }

        try
        {
            var response = context.Response;
            response.ContentType = "image/jpeg";
            response.ContentLength = frame.Jpeg.Length;
            response.Headers.CacheControl = "no-store";
            response.Headers["X-Timestamp"] = (frame.Pts90Khz / 90_000.0).ToString("0.000000", CultureInfo.InvariantCulture);
            response.Headers["X-Sequence"] = frame.Sequence.ToString(CultureInfo.InvariantCulture);
            await response.Body.WriteAsync(frame.Jpeg, context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            frame.Release();
        }
    }

    /// <summary>
    /// The stream's hub, with a frame held; null, and the request answered (404, 503), when the stream does not
    /// exist or the origin does not answer.
    /// </summary>
    private async Task<HubLease?> LeaseAsync(HttpContext context, string name)
    {
        try
        {
            return await hubs.AcquireAsync(name, context.RequestAborted).ConfigureAwait(false);
        }
        catch (StreamNotFoundException)
        {
            await HttpAccess.Answer(context, StatusCodes.Status404NotFound, $"no stream '{name}'").ConfigureAwait(false);
            return null;
        }
        catch (OriginUnavailableException ex)
        {
            await HttpAccess.Answer(context, StatusCodes.Status503ServiceUnavailable, ex.Message).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>A stream name from the path: segments of a name, none empty, "." or "..".</summary>
    private static string Remote(HttpContext context) => $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
}
