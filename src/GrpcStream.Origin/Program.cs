using GrpcStream.Origin.Hosting;
using GrpcStream.ServiceDefaults;

if (args is [HealthProbe.Command, .. var rest])
{
    return await HealthProbe.RunAsync(rest, "Origin:Http:Port", OriginHost.DefaultHttpPort, OriginHost.SwitchMappings);
}

return await ServiceRunner.RunAsync("origin", () => OriginHost.Build(args));
