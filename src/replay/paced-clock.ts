import { Observable } from 'rxjs';
import type { TimeNs } from '../messages/time';
import type { Clock } from '../transport/transport';

/**
 * The bag's clock running at wall speed (`svnav replay --realtime`): `now()` starts at the bag's first log time,
 * so plan stamps (camera stamps from the bag) and the controller's clock agree as they do on the robot.
 *
 * Intervals are drift-free: tick k is due at subscription + k·period by the monotonic clock, and each timeout is
 * set for the next due time, so a late tick does not push every later one back (setInterval would).
 */
export class PacedClock implements Clock {
  readonly #startNs: TimeNs;
  readonly #wallStartNs: bigint;
  readonly #wallNow: () => bigint;

  constructor(startNs: TimeNs, wallNow: () => bigint = () => process.hrtime.bigint()) {
    this.#startNs = startNs;
    this.#wallNow = wallNow;
    this.#wallStartNs = wallNow();
  }

  now(): TimeNs {
    return this.#startNs + (this.#wallNow() - this.#wallStartNs);
  }

  /** Wall milliseconds until the clock reads `timeNs` (≤ 0 when it already has). */
  msUntil(timeNs: TimeNs): number {
    return Number(timeNs - this.now()) / 1e6;
  }

  interval(periodNs: TimeNs): Observable<TimeNs> {
    if (periodNs <= 0n) throw new RangeError(`interval period must be positive, got ${periodNs} ns`);
    return new Observable<TimeNs>((subscriber) => {
      let due = this.now() + periodNs;
      let handle: NodeJS.Timeout | undefined;
      const arm = (): void => {
        handle = setTimeout(fire, Math.max(0, this.msUntil(due)));
      };
      const fire = (): void => {
        // A tick that is late by whole periods fires once; the schedule skips the missed ones.
        const now = this.now();
        while (due + periodNs <= now) due += periodNs;
        subscriber.next(now);
        due += periodNs;
        arm();
      };
      arm();
      return () => clearTimeout(handle);
    });
  }
}

/** Waits until the paced clock reaches `timeNs` (or the replay is aborted). */
export async function sleepUntil(
  clock: PacedClock,
  timeNs: TimeNs,
  signal: AbortSignal | undefined,
): Promise<void> {
  const ms = clock.msUntil(timeNs);
  if (ms <= 0 || signal?.aborted) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
