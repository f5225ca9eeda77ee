namespace GrpcStream.IntegrationTests.Architecture;

/// <summary>
/// The edge's namespaces in layers that point one way (docs/architecture.md): a namespace may name types of the
/// layers below its own, never of its own layer or above. Today's exceptions are listed, each to be removed as the
/// rebuild of issue 29 goes on: a new one fails the test, and so does an exception that no longer occurs, so the
/// list only shrinks. The libraries point one way too: the protocol library names no service, the CLI no service's
/// internals.
/// </summary>
public class LayeringTests
{
    /// <summary>The edge's layers, top first; namespaces on one line are one layer.</summary>
    public static readonly string[][] EdgeLayers =
    [
        ["Hosting"],
        ["Control"],
        ["Connections", "Http"],
        ["Requests"],
        ["Sessions"],
        ["Transports"],
        ["Streams"],
        ["Rtp"],
        ["Origin"],
        ["Auth", "Tls"],
        ["Diagnostics", "Native"],
        ["Settings"],
    ];

    /// <summary>Dependencies against the layering that the edge still has (from, to), each with why; none today.</summary>
    private static readonly (string From, string To)[] Exceptions = [];

    [Fact]
    public void The_edges_namespaces_depend_only_on_layers_below_theirs_but_for_the_listed_exceptions()
    {
        var rank = EdgeLayers.SelectMany((layer, i) => layer.Select(ns => (ns, Rank: EdgeLayers.Length - i))).ToDictionary(x => x.ns, x => x.Rank);
        var edges = NamespaceGraph.Read(ServiceProcess.DllOf("Edge"), "GrpcStream.Edge");

        var unknown = edges.Keys.SelectMany(e => new[] { e.From, e.To }).Distinct().Where(ns => !rank.ContainsKey(ns)).ToList();
        Assert.True(unknown.Count == 0, $"namespaces in no layer (add them to EdgeLayers and docs/architecture.md): {string.Join(", ", unknown)}");

        var against = edges.Where(e => rank[e.Key.From] <= rank[e.Key.To]).ToDictionary(e => e.Key, e => e.Value);
        var added = against.Keys.Except(Exceptions).Select(k => $"{k.From} -> {k.To} ({against[k]})").ToList();
        Assert.True(added.Count == 0, "dependencies against the layering:\n" + string.Join("\n", added));

        var gone = Exceptions.Except(against.Keys).Select(k => $"{k.From} -> {k.To}").ToList();
        Assert.True(gone.Count == 0, "exceptions that no longer occur: remove them from the list\n" + string.Join("\n", gone));
    }

    [Fact]
    public void The_protocol_library_names_no_service_and_the_cli_no_services_internals()
    {
        var services = new[] { "GrpcStream.Edge", "GrpcStream.Origin", "grpcstream" };
        Assert.Empty(NamespaceGraph.References(typeof(GrpcStream.Rtsp.Client.RtspClient).Assembly.Location).Intersect(services));
        Assert.Empty(NamespaceGraph.References(ServiceProcess.DllOf("Cli")).Intersect(["GrpcStream.Edge", "GrpcStream.Origin"]));
    }
}
