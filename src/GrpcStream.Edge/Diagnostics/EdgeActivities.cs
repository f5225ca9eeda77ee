using System.Diagnostics;

namespace GrpcStream.Edge.Diagnostics;

/// <summary>
/// The edge's traces: calls to the origin, as spans a trace backend can join with the origin's own (the gRPC
/// client carries the trace context). Exported by OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; with nothing
/// listening, starting an activity returns null and costs nothing.
/// </summary>
internal static class EdgeActivities
{
    public static readonly ActivitySource Source = new(EdgeMetrics.MeterName);

    /// <summary>A DESCRIBE's question to the origin.</summary>
    public const string Describe = "origin.describe";

    /// <summary>One connection of a stream's watch, from the call to its first frame (or its failure).</summary>
    public const string Connect = "origin.connect";

    /// <summary>Marks <paramref name="activity"/> failed with <paramref name="reason"/>.</summary>
    public static void Failed(this Activity? activity, string reason) => activity?.SetStatus(ActivityStatusCode.Error, reason);
}
