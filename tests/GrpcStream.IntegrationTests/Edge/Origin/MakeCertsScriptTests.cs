using GrpcStream.Rtsp.Client;
using GrpcStream.Testing;

namespace GrpcStream.IntegrationTests.Edge.Origin;

/// <summary>What scripts/make-certs.sh makes secures a real pair: mutual TLS to the origin, RTSPS to a player.</summary>
public sealed class MakeCertsScriptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("grpcstream-make-certs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_scripts_certificates_secure_the_origin_link_and_rtsps()
    {
        ExternalTool.Require("openssl");
        await ExternalTool.RunAsync("bash", [Path.Combine(RepositoryRoot(), "scripts", "make-certs.sh"), _dir], timeout: TimeSpan.FromSeconds(60));
        string File(string name) => Path.Combine(_dir, name);

        await using var host = await EdgeTestHost.StartAsync(true, null,
            [$"Tls:CertificatePath={File("origin.crt")}", $"Tls:KeyPath={File("origin.key")}", $"Tls:ClientCaPath={File("ca.crt")}"],
            $"Origin:CaPath={File("ca.crt")}", $"Origin:ClientCertificatePath={File("edge.crt")}", $"Origin:ClientKeyPath={File("edge.key")}",
            "Rtsps:Port=0", $"Rtsps:CertificatePath={File("rtsps.crt")}", $"Rtsps:KeyPath={File("rtsps.key")}");
        var url = $"rtsps://localhost:{GrpcStream.Edge.Hosting.EdgeHost.RtspsPort(host.Edge)}/movie.Mjpeg";

        await using var player = await HonestPlayer.StartAsync(url, new RtspPlayerOptions { TlsCaPath = File("ca.crt") });
        await player.WaitForMoreFramesAsync(5);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "scripts", "make-certs.sh")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("scripts/make-certs.sh not found above " + AppContext.BaseDirectory);
    }
}
