import { Command, CommanderError } from 'commander';
import { ManifestError } from '../model/manifest';
import { CheckpointError } from '../model/weights/checkpoint-io';
import { WeightMismatchError } from '../model/weights/resolve';
import { registerBagCommand } from './commands/bag';
import { registerBenchCommand } from './commands/bench';
import { registerBuildModelCommand } from './commands/build-model';
import { registerConfigCommand } from './commands/config';
import { registerNodeCommand } from './commands/node';
import { registerReplayCommand } from './commands/replay';
import { registerEvalCommand } from './commands/eval';
import { registerDemoCommand } from './commands/demo';
import { BagError } from '../bag/errors';
import { ConfigError } from '../config';
import { OutputError } from '../io/output';
import { InstructionError } from '../messages/instruction';
import { CliError, EXIT, EXIT_STATUS_HELP } from './exit';
import { packageVersion } from './package-root';

/** Builds the `svnav` program; each subcommand lives in its own module under commands/. */
export function buildProgram(): Command {
  const program = new Command('svnav')
    .description(
      'SparseVideoNav runtime: imagine a sparse 20 s future, turn its first 2 s into velocity commands.',
    )
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError()
    .addHelpText('after', EXIT_STATUS_HELP)
    .exitOverride();
  registerConfigCommand(program);
  registerNodeCommand(program);
  registerBuildModelCommand(program);
  registerBenchCommand(program);
  registerBagCommand(program);
  registerReplayCommand(program);
  registerEvalCommand(program);
  registerDemoCommand(program);
  for (const command of allCommands(program)) command.addHelpText('after', EXIT_STATUS_HELP);
  return program;
}

/** Every subcommand, nested ones too: each `--help` states the same exit statuses. */
function allCommands(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/**
 * onnxruntime-node 1.30 crashes (SIGSEGV) creating a session on a worker thread when the process's command line
 * is longer than about 12–16 kB with Node's default 4 MiB worker stack (measured: 14 000 bytes pass, 16 000 crash;
 * the limit is on the whole command line, not one argument, and grows with the thread's stack). Every svnav command
 * that loads a model runs its sessions on a worker, so a longer command line is refused before anything starts.
 */
export const MAX_COMMAND_LINE_BYTES = 8192;

/** Throws a CliError when the command line is too long to load a model safely; names the longest argument. */
export function checkCommandLine(argv: readonly string[], execArgv: readonly string[] = []): void {
  const all = [...execArgv, ...argv];
  const bytes = all.reduce((sum, a) => sum + Buffer.byteLength(a) + 1, 0);
  if (bytes <= MAX_COMMAND_LINE_BYTES) return;
  const longest = argv.reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a), '');
  const option = argv[argv.indexOf(longest) - 1];
  const named = option?.startsWith('--') ? `${option} is` : 'the longest argument is';
  throw new CliError(
    `the command line is ${bytes} bytes, at most ${MAX_COMMAND_LINE_BYTES} are accepted ` +
      `(${named} ${Buffer.byteLength(longest)} bytes); onnxruntime-node crashes on longer ones. ` +
      'An instruction is at most 1000 characters.',
  );
}

/** The exit status (see exit.ts) of an error that reached the top; refusals are the errors that name an input. */
export function exitStatusOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (
    err instanceof OutputError ||
    err instanceof ConfigError ||
    err instanceof InstructionError ||
    err instanceof BagError ||
    err instanceof CheckpointError ||
    err instanceof WeightMismatchError ||
    err instanceof ManifestError
  ) {
    return EXIT.refused;
  }
  return EXIT.failed;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    checkCommandLine(argv, process.execArgv);
    await program.parseAsync([...argv]);
  } catch (err) {
    // Commander has already printed help/version/usage errors; only the exit status is left to set.
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.refused;
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    const status = exitStatusOf(err);
    console.error(`svnav: ${status === EXIT.failed ? 'failed: ' : ''}${message}`);
    process.exitCode = status;
  }
}
