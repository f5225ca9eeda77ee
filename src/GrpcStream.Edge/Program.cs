using GrpcStream.Edge.Hosting;
using GrpcStream.ServiceDefaults;

if (args is [HealthProbe.Command, .. var rest])
{
    return await HealthProbe.RunAsync(rest, "Edge:Http:Port", new HttpSettings().Port, EdgeHost.SwitchMappings);
}

return await ServiceRunner.RunAsync("edge", () => EdgeHost.Build(args));
