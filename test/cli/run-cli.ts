import { main } from '../../src/cli/main';

export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `svnav ARGV…` in this process, capturing stdout, stderr and the exit status (process.exitCode). */
export async function runCli(argv: readonly string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = {
    write: process.stdout.write.bind(process.stdout),
    errWrite: process.stderr.write.bind(process.stderr),
    log: console.log,
    error: console.error,
    warn: console.warn,
    info: console.info,
    exitCode: process.exitCode,
  };
  process.stdout.write = ((c: string | Uint8Array) => out.push(String(c)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => err.push(String(c)) > 0) as typeof process.stderr.write;
  console.log = (...a: unknown[]) => out.push(`${a.join(' ')}\n`);
  console.error = console.warn = console.info = (...a: unknown[]) => err.push(`${a.join(' ')}\n`);
  process.exitCode = undefined;
  try {
    await main(['node', 'svnav', ...argv]);
    return { status: Number(process.exitCode ?? 0), stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = saved.write;
    process.stderr.write = saved.errWrite;
    console.log = saved.log;
    console.error = saved.error;
    console.warn = saved.warn;
    console.info = saved.info;
    process.exitCode = saved.exitCode;
  }
}

/** `svnav replay BAG --instruction … --model MODEL --out OUT [extra…]`, the command line the CLI tests replay with. */
export function replayArgv(bag: string, model: string, out: string, ...extra: string[]): string[] {
  return [
    'replay',
    bag,
    '--instruction',
    'walk forward to the blue door',
    '--model',
    model,
    '--out',
    out,
    ...extra,
  ];
}
