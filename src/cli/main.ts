import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerConfigCommand } from './commands/config';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
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
