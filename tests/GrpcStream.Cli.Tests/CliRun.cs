using System.Threading.Channels;
using GrpcStream.Cli.Output;

namespace GrpcStream.Cli.Tests;

/// <summary>Runs grpcstream in-process with its console captured, and standard input fed line by line.</summary>
internal sealed class CliRun : IDisposable
{
    private readonly Channel<string?> _input = Channel.CreateUnbounded<string?>();
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    // The run writes from its own threads through these; TextWriter.Synchronized locks each write on the wrapper
    // itself, so reading the text under the same lock never meets a write half done (a StringBuilder read while
    // it grows can throw).
    private readonly TextWriter _syncOut;
    private readonly TextWriter _syncError;

    public CliRun()
    {
        _syncOut = TextWriter.Synchronized(_out);
        _syncError = TextWriter.Synchronized(_error);
    }

    public string Out
    {
        get
        {
            lock (_syncOut)
            {
                return _out.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_syncError)
            {
                return _error.ToString();
            }
        }
    }

    public Task<int> StartAsync(params string[] args) => StartAsync(TestContext.Current.CancellationToken, args);

    /// <summary>Starts a run that <paramref name="interrupt"/> stops, as Ctrl+C would.</summary>
    public Task<int> StartAsync(CancellationToken interrupt, params string[] args) =>
        Task.Run(() => CliApp.RunAsync(args, new CliConsole(new ChannelReader(_input.Reader), _syncOut, _syncError, IsInteractive: false), interrupt));

    public static async Task<(int Exit, CliRun Run)> RunAsync(params string[] args)
    {
        var run = new CliRun();
        run._input.Writer.TryComplete();
        // The captured text outlives the run: the test reads it afterwards.
        var exit = await run.StartAsync(args).WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);
        return (exit, run);
    }

    public void Dispose()
    {
        _out.Dispose();
        _error.Dispose();
    }

    public void Type(string line) => _input.Writer.TryWrite(line);

    public void EndInput() => _input.Writer.TryComplete();

    /// <summary>A TextReader whose lines come from a channel, so a test can type with pauses.</summary>
    private sealed class ChannelReader(System.Threading.Channels.ChannelReader<string?> lines) : TextReader
    {
        public override async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken) =>
            await lines.WaitToReadAsync(cancellationToken) && lines.TryRead(out var line) ? line : null;

        public override string? ReadLine() => ReadLineAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }
}
