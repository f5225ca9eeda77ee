using BenchmarkDotNet.Running;
using GrpcStream.Benchmarks;

// "origin-link ..." measures the origin's gRPC stream on a running origin; anything else goes to BenchmarkDotNet.
if (args is ["origin-link", .. var rest])
{
    return await OriginLinkBenchmark.RunAsync(rest);
}

BenchmarkSwitcher.FromAssembly(typeof(ProtocolBenchmarks).Assembly).Run(args);
return 0;
