using GrpcStream.Edge.Hosting;
using GrpcStream.ServiceDefaults;
using GrpcStream.Edge.Settings;

if (args is [HealthProbe.Command, .. var rest])
{
    return await HealthProbe.RunAsync(rest, "Edge:Http:Port", new HttpSettings().Port, EdgeHost.SwitchMappings);
}

if (args is [DrainCommand.Command, .. var drainArgs])
{
    return await DrainCommand.RunAsync(drainArgs, Console.Out, Console.Error);
}

return await ServiceRunner.RunAsync("edge", () => EdgeHost.Build(args));
