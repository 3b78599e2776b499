import { exitForSignal, type ShutdownSignal } from './exit';

const SIGNALS: readonly ShutdownSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface ShutdownScope {
  /** Aborted by the first SIGINT, SIGTERM or SIGHUP. */
  readonly signal: AbortSignal;
  /** The signal that arrived, if any. */
  readonly received: () => ShutdownSignal | undefined;
}

/**
 * Runs a long command so that SIGINT, SIGTERM and SIGHUP all end it the same clean way: the first one aborts
 * `scope.signal` (the command stops reading, stops the robot, finishes its outputs and report); a second one
 * exits at once with 128+N. After SIGHUP the terminal is gone: writes to it are dropped instead of crashing.
 * The handlers are removed when `run` settles.
 */
export async function withShutdownSignals<T>(run: (scope: ShutdownScope) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  let received: ShutdownSignal | undefined;
  const handlers = SIGNALS.map((name) => {
    const handler = (): void => {
      if (received !== undefined) {
        process.stderr.write(`svnav: ${name} again; exiting without finishing the outputs\n`);
        process.exit(exitForSignal(name));
      }
      received = name;
      if (name === 'SIGHUP') ignoreBrokenTerminal();
      else process.stderr.write(`\nsvnav: ${name}: finishing the outputs (send it again to quit at once)\n`);
      abort.abort(new Error(`stopped by ${name}`));
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  try {
    return await run({ signal: abort.signal, received: () => received });
  } finally {
    for (const [name, handler] of handlers) process.removeListener(name, handler);
  }
}

function ignoreBrokenTerminal(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
}
