/**
 * When a ROS node process must stop the robot and exit. `ros2 launch` forwards SIGINT to its nodes, but on
 * SIGTERM it exits at once and leaves them running ("using SIGTERM can result in orphaned processes"): a
 * controller orphaned that way kept sending Twists. So a node also stops on SIGTERM, SIGHUP and SIGQUIT, and
 * when its parent process goes away (it is re-parented; Node has no prctl(PR_SET_PDEATHSIG)).
 */

export interface TerminationOptions {
  /** How often the parent is checked; well inside one control period. */
  readonly parentPollMs?: number;
  /** The parent process id at start (process.ppid); a change means the parent died. */
  readonly parentPid?: () => number;
}

export const TERMINATION_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/**
 * Calls `handler` once, with the signal name or "parent process exited", at the first termination request.
 * Returns a function that removes every hook.
 */
export function onTerminationRequest(
  handler: (reason: string) => void,
  options: TerminationOptions = {},
): () => void {
  const parentPid = options.parentPid ?? (() => process.ppid);
  const startParent = parentPid();
  let done = false;
  const fire = (reason: string) => {
    if (done) return;
    done = true;
    remove();
    handler(reason);
  };
  const listeners = TERMINATION_SIGNALS.map((signal) => {
    const listener = () => fire(signal);
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  // A parent that is gone also closes our terminal (launch's pty): EIO/EPIPE on a write must not crash the stop.
  const ignoreBrokenOutput = () => undefined;
  process.stdout.on('error', ignoreBrokenOutput);
  process.stderr.on('error', ignoreBrokenOutput);
  const poll = setInterval(() => {
    if (parentPid() !== startParent) fire(`parent process ${startParent} exited`);
  }, options.parentPollMs ?? 20);
  poll.unref();
  function remove() {
    clearInterval(poll);
    for (const [signal, listener] of listeners) process.removeListener(signal, listener);
  }
  return remove;
}
