using GrpcStream.Origin.Hosting;
using GrpcStream.ServiceDefaults;

return await ServiceRunner.RunAsync("origin", () => OriginHost.Build(args));
