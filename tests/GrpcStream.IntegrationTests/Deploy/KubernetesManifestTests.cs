using System.Globalization;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Deploy;

/// <summary>
/// The Kubernetes manifests (deploy/kubernetes), without a cluster: every overlay rendered by kubectl's kustomize,
/// each object read strictly into the official client's models (an unknown or misspelt field fails), and what must
/// hold for the deployment to work on the first apply checked on the objects.
/// </summary>
public class KubernetesManifestTests
{
    private static readonly string Root = RepositoryRoot();

    public static TheoryData<string> Overlays() =>
        [.. Directory.GetDirectories(Path.Combine(Root, "deploy", "kubernetes", "overlays")).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Every_overlay_renders_into_objects_of_the_kubernetes_api(string overlay)
    {
        var objects = await RenderAsync(overlay);

        Assert.Contains(objects, o => o is V1StatefulSet);
        Assert.Single(objects, o => o is V1Deployment or V1DaemonSet);
        Assert.All(objects, o => Assert.False(string.IsNullOrEmpty(o.Metadata?.Name), $"a {o.Kind} without a name"));
        Assert.All(objects.Where(o => o is not V1Namespace), o => Assert.Equal("grpcstream", o.Metadata.NamespaceProperty));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Every_container_has_probes_resources_and_the_restricted_security_context(string overlay)
    {
        foreach (var (workload, _, pod) in Workloads(await RenderAsync(overlay)))
        {
            Assert.True(pod.AutomountServiceAccountToken == false, $"{workload}: the service account token is mounted");
            Assert.True(pod.SecurityContext?.RunAsNonRoot == true, $"{workload}: may run as root");
            Assert.Equal("RuntimeDefault", pod.SecurityContext?.SeccompProfile?.Type);
            foreach (var container in pod.Containers)
            {
                var where = $"{workload}/{container.Name}";
                Assert.True(container.LivenessProbe?.HttpGet?.Path == "/healthz/live", $"{where}: liveness is not /healthz/live");
                Assert.True(container.ReadinessProbe?.HttpGet?.Path == "/healthz/ready", $"{where}: readiness is not /healthz/ready");
                foreach (var resource in new[] { "cpu", "memory" })
                {
                    Assert.True(container.Resources?.Requests?.ContainsKey(resource) == true, $"{where}: no {resource} request");
                    Assert.True(container.Resources?.Limits?.ContainsKey(resource) == true, $"{where}: no {resource} limit");
                }

                var security = container.SecurityContext;
                Assert.True(security?.AllowPrivilegeEscalation == false, $"{where}: privilege escalation allowed");
                Assert.True(security?.ReadOnlyRootFilesystem == true, $"{where}: the root filesystem is writable");
                Assert.Equal(["ALL"], security?.Capabilities?.Drop ?? []);

                // A read-only root needs somewhere to write: the runtime's /tmp, on an emptyDir.
                var tmp = Assert.Single(container.VolumeMounts, m => m.MountPath == "/tmp");
                Assert.NotNull(Assert.Single(pod.Volumes, v => v.Name == tmp.Name).EmptyDir);

                // Probes name ports the container has.
                foreach (var probe in new[] { container.LivenessProbe, container.ReadinessProbe, container.StartupProbe }.OfType<V1Probe>())
                {
                    Assert.Contains(container.Ports, p => p.Name == probe.HttpGet.Port.Value);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Service_ports_container_ports_and_the_configured_ports_agree(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var workloads = Workloads(objects).ToList();
        foreach (var service in objects.OfType<V1Service>())
        {
            var (name, _, pod) = Assert.Single(workloads, w => service.Spec.Selector.All(s => w.Labels.TryGetValue(s.Key, out var value) && value == s.Value));
            var ports = pod.Containers.SelectMany(c => c.Ports).ToList();

            // Reached from outside: players' own addresses must arrive (the edge's per-address cap goes by them).
            if (service.Spec.Type is "LoadBalancer" or "NodePort")
            {
                Assert.Equal("Local", service.Spec.ExternalTrafficPolicy);
            }

            foreach (var port in service.Spec.Ports)
            {
                Assert.True(
                    ports.Any(p => p.Name == port.TargetPort.Value && p.Protocol == (port.Protocol ?? "TCP")),
                    $"service {service.Metadata.Name} port {port.Name} targets {port.TargetPort.Value}, which {name} does not have");
            }
        }

        var edge = Config(objects, "edge-config");
        var edgePorts = EdgePod(objects).Containers.Single().Ports.ToDictionary(p => p.Name, p => (p.ContainerPort, p.Protocol));
        Assert.Equal((Port(edge["Edge__Rtsp__Port"]), "TCP"), edgePorts["rtsp"]);
        Assert.Equal((Port(edge["Edge__Rtsps__Port"]), "TCP"), edgePorts["rtsps"]);
        Assert.Equal((Port(edge["Edge__Http__Port"]), "TCP"), edgePorts["http"]);
        Assert.Equal((Port(edge["Edge__Control__Port"]), "TCP"), edgePorts["control"]);
        Assert.Equal((Port(edge["Edge__Rtsp__RtpPort"]), "UDP"), edgePorts["rtp"]);
        Assert.Equal((Port(edge["Edge__Rtsp__RtpPort"]) + 1, "UDP"), edgePorts["rtcp"]);

        var origin = Config(objects, "origin-config");
        var originPorts = OriginSet(objects).Spec.Template.Spec.Containers.Single().Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
        Assert.Equal(new Uri(origin["ASPNETCORE_URLS"]).Port, originPorts["grpc"]);
        Assert.Equal(Port(origin["Origin__Http__Port"]), originPorts["http"]);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_edges_list_every_origin_by_its_stable_name_on_the_headless_service(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var origins = OriginSet(objects);
        var headless = Assert.Single(objects.OfType<V1Service>(), s => s.Metadata.Name == origins.Spec.ServiceName);
        Assert.Equal("None", headless.Spec.ClusterIP);
        var grpc = Assert.Single(headless.Spec.Ports, p => p.Name == "grpc");
        var scheme = Config(objects, "origin-config")["ASPNETCORE_URLS"].StartsWith("https://", StringComparison.Ordinal) ? "https" : "http";

        var expected = Enumerable.Range(0, origins.Spec.Replicas ?? 1)
            .Select(i => $"{scheme}://{origins.Metadata.Name}-{i}.{headless.Metadata.Name}:{grpc.Port}");
        Assert.Equal(expected, Config(objects, "edge-config")["Edge__Origin__Addresses"].Split(','));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Secrets_are_referenced_never_inlined_and_the_configured_files_are_mounted_from_them(string overlay)
    {
        var objects = await RenderAsync(overlay);
        Assert.DoesNotContain(objects, o => o is V1Secret);
        foreach (var config in objects.OfType<V1ConfigMap>())
        {
            Assert.All(config.Data.Keys, key => Assert.DoesNotMatch("(?i)password|token|secret", key));
        }

        // Each configured certificate or key path lies under a mount of a Secret volume of the same pod.
        foreach (var (pod, config) in new[] { (EdgePod(objects), Config(objects, "edge-config")), (OriginSet(objects).Spec.Template.Spec, Config(objects, "origin-config")) })
        {
            var container = pod.Containers.Single();
            var secretMounts = container.VolumeMounts.Where(m => pod.Volumes.Single(v => v.Name == m.Name).Secret is not null).Select(m => m.MountPath + "/").ToList();
            Assert.NotEmpty(secretMounts);
            foreach (var (key, path) in config.Where(p => p.Key.EndsWith("Path", StringComparison.Ordinal) && p.Key != "Origin__MediaRoot"))
            {
                Assert.True(secretMounts.Any(m => path.StartsWith(m, StringComparison.Ordinal)), $"{key}={path} is not in a mounted Secret");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task An_edge_drains_itself_before_it_stops_within_its_grace_period(string overlay)
    {
        var pod = EdgePod(await RenderAsync(overlay));
        var command = pod.Containers.Single().Lifecycle.PreStop.Exec.Command;
        Assert.Equal(["dotnet", "/app/GrpcStream.Edge.dll", "drain", "--wait", "--deadline"], command.Take(5));
        Assert.Matches("^[0-9]+s$", command[5]);
        var deadline = int.Parse(command[5].TrimEnd('s'), CultureInfo.InvariantCulture);
        Assert.True(pod.TerminationGracePeriodSeconds > deadline + 5, "the grace period leaves no time after the drain's deadline");
    }

    [Fact]
    public async Task The_default_edges_roll_without_dropping_below_their_replicas_and_the_hostnetwork_edges_use_the_nodes_network()
    {
        var deployment = (await RenderAsync("default")).OfType<V1Deployment>().Single();
        Assert.Equal("0", deployment.Spec.Strategy.RollingUpdate.MaxUnavailable.Value);
        var daemonSet = (await RenderAsync("hostnetwork")).OfType<V1DaemonSet>().Single();
        Assert.True(daemonSet.Spec.Template.Spec.HostNetwork);
        Assert.Equal("ClusterFirstWithHostNet", daemonSet.Spec.Template.Spec.DnsPolicy);
    }

    /// <summary>The Deployments, DaemonSets and StatefulSets: their names, pod labels and pod specs.</summary>
    private static IEnumerable<(string Name, IDictionary<string, string> Labels, V1PodSpec Pod)> Workloads(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects) =>
        objects.Select(o => o switch
        {
            V1Deployment d => (d.Metadata.Name, d.Spec.Template),
            V1DaemonSet d => (d.Metadata.Name, d.Spec.Template),
            V1StatefulSet s => (s.Metadata.Name, s.Spec.Template),
            _ => (string.Empty, (V1PodTemplateSpec?)null),
        }).Where(w => w.Item2 is not null).Select(w => (w.Item1, w.Item2!.Metadata.Labels, w.Item2.Spec));

    private static V1PodSpec EdgePod(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects) =>
        Workloads(objects).Single(w => w.Name == "edge").Pod;

    private static V1StatefulSet OriginSet(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects) => objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "origin");

    private static IDictionary<string, string> Config(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects, string name) =>
        objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == name).Data;

    private static int Port(string value) => int.Parse(value, CultureInfo.InvariantCulture);

    /// <summary>The overlay rendered by kubectl's kustomize and read strictly into the client's models; skipped without a kubectl that can.</summary>
    private static async Task<List<IKubernetesObject<V1ObjectMeta>>> RenderAsync(string overlay)
    {
        if (ExternalTool.Find("kubectl") is null)
        {
            // The machine image carries kubectl (with kustomize); Debian's kubernetes-client is too old to stand in for it.
            ExternalTool.Unavailable("kubectl is not installed: the manifests cannot be rendered here (the machine image has one; Debian's kubernetes-client is too old)");
        }

        // Debian's kubectl 1.20 carries a kustomize without patches: or replacements: its render would be wrong, not absent.
        using (var version = JsonDocument.Parse(await ExternalTool.RunAsync("kubectl", ["version", "--client", "-o", "json"])))
        {
            var minor = int.Parse(new string([.. version.RootElement.GetProperty("clientVersion").GetProperty("minor").GetString()!.TakeWhile(char.IsDigit)]), CultureInfo.InvariantCulture);
            if (minor < 24)
            {
                ExternalTool.Unavailable($"kubectl 1.{minor} is too old for these manifests' kustomize (patches, replacements): 1.24 or later renders them");
            }
        }

        var yaml = Encoding.UTF8.GetString(await ExternalTool.RunAsync("kubectl", ["kustomize", Path.Combine(Root, "deploy", "kubernetes", "overlays", overlay)]));
        return [.. KubernetesYaml.LoadAllFromString(yaml, strict: true).Cast<IKubernetesObject<V1ObjectMeta>>()];
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GrpcStream.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("GrpcStream.sln not found above " + AppContext.BaseDirectory);
    }
}
