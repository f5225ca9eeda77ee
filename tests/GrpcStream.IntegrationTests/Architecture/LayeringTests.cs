namespace GrpcStream.IntegrationTests.Architecture;

/// <summary>
/// The namespaces of each program in layers that point one way (docs/architecture.md): a namespace may name types
/// of the layers below its own, never of its own layer or above. Allowed exceptions are listed with why (none
/// today); a new one fails the test, and so does an exception that no longer occurs, so the list only shrinks. The
/// libraries point one way too: the protocol library names no service, the CLI no service's internals.
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

    /// <summary>The origin's layers, top first.</summary>
    public static readonly string[][] OriginLayers =
    [
        ["Hosting"],
        ["Grpc"],
        ["Publishing"],
        ["Live"],
        ["Catalogue"],
        ["Storage", "Sample"],
        ["Conversion"],
        ["Security", "Native"],
        ["Diagnostics"],
        ["Settings"],
    ];

    /// <summary>The CLI's layers, top first: the app that composes the commands, the commands, what they print.</summary>
    public static readonly string[][] CliLayers =
    [
        [NamespaceGraph.Root],
        ["Commands"],
        ["Output"],
    ];

    /// <summary>Dependencies against the layering a program still has (from, to), each with why; none today.</summary>
    private static readonly (string From, string To)[] Exceptions = [];

    [Theory]
    [InlineData("Edge", "GrpcStream.Edge")]
    [InlineData("Origin", "GrpcStream.Origin")]
    [InlineData("Cli", "GrpcStream.Cli")]
    public void A_programs_namespaces_depend_only_on_layers_below_theirs(string program, string root)
    {
        var layers = program switch { "Edge" => EdgeLayers, "Origin" => OriginLayers, _ => CliLayers };
        var rank = layers.SelectMany((layer, i) => layer.Select(ns => (ns, Rank: layers.Length - i))).ToDictionary(x => x.ns, x => x.Rank);
        var edges = NamespaceGraph.Read(ServiceProcess.DllOf(program), root);

        var unknown = edges.Keys.SelectMany(e => new[] { e.From, e.To }).Distinct().Where(ns => !rank.ContainsKey(ns)).ToList();
        Assert.True(unknown.Count == 0, $"namespaces in no layer (add them to the layers here and to docs/architecture.md): {string.Join(", ", unknown)}");

        var against = edges.Where(e => rank[e.Key.From] <= rank[e.Key.To]).ToDictionary(e => e.Key, e => e.Value);
        var added = against.Keys.Except(Exceptions).Select(k => $"{k.From} -> {k.To} ({against[k]})").ToList();
        Assert.True(added.Count == 0, "dependencies against the layering:\n" + string.Join("\n", added));

        var gone = Exceptions.Where(e => rank.ContainsKey(e.From)).Except(against.Keys).Select(k => $"{k.From} -> {k.To}").ToList();
        Assert.True(gone.Count == 0, "exceptions that no longer occur: remove them from the list\n" + string.Join("\n", gone));
    }

    [Fact]
    public void The_protocol_library_names_no_service_and_the_cli_no_services_internals()
    {
        var services = new[] { "GrpcStream.Edge", "GrpcStream.Origin", "grpcstream" };
        Assert.Empty(NamespaceGraph.References(typeof(GrpcStream.Rtsp.Client.RtspPlayer).Assembly.Location).Intersect(services));
        Assert.Empty(NamespaceGraph.References(ServiceProcess.DllOf("Cli")).Intersect(["GrpcStream.Edge", "GrpcStream.Origin"]));
    }
}
