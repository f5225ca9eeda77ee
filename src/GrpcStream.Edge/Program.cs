using GrpcStream.Edge.Hosting;
using GrpcStream.ServiceDefaults;

return await ServiceRunner.RunAsync("edge", () => EdgeHost.Build(args));
