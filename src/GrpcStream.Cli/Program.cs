using GrpcStream.Cli;

return await CliApp.RunAsync(args, CliConsole.System);
