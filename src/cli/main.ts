import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { registerBagCommand } from './commands/bag';
import { registerBenchCommand } from './commands/bench';
import { registerBuildModelCommand } from './commands/build-model';
import { registerConfigCommand } from './commands/config';
import { registerNodeCommand } from './commands/node';
import { registerReplayCommand } from './commands/replay';
import { registerEvalCommand } from './commands/eval';
import { registerDemoCommand } from './commands/demo';

/** The package root: the nearest directory above this file holding our package.json (works from src/ and dist/). */
export function packageRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (
      existsSync(file) &&
      (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'sparse-video-nav'
    )
      return dir;
  }
  throw new Error(`cannot find the sparse-video-nav package.json above ${__dirname}`);
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
}

/** Builds the `svnav` program; each subcommand lives in its own module under commands/. */
export function buildProgram(): Command {
  const program = new Command('svnav')
    .description(
      'SparseVideoNav runtime: imagine a sparse 20 s future, turn its first 2 s into velocity commands.',
    )
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  registerConfigCommand(program);
  registerNodeCommand(program);
  registerBuildModelCommand(program);
  registerBenchCommand(program);
  registerBagCommand(program);
  registerReplayCommand(program);
  registerEvalCommand(program);
  registerDemoCommand(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    // Commander has already printed help/version/usage errors; only the exit status is left to set.
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    throw err;
  }
}
