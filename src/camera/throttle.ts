import type { TimeNs } from '../messages/time';

/**
 * Passes camera frames at a target rate by timestamp, with no added delay: a frame passes when its stamp reaches
 * the next slot of a grid spaced by the period, less a quarter period of tolerance (so a camera already at the
 * target rate, with jitter, passes every frame). The grid advances by whole periods so the average rate is the
 * target rate even when the camera's period does not divide it (15 Hz → 8 Hz passes 8 of every 15 frames, not
 * 7.5); after a pause it restarts from the frame that ended it instead of letting a burst through.
 */
export class FrameThrottle {
  #nextDueNs: TimeNs | undefined;
  #lastStampNs: TimeNs | undefined;
  readonly #toleranceNs: TimeNs;

  constructor(readonly periodNs: TimeNs) {
    if (periodNs <= 0n) throw new RangeError(`throttle period must be positive, got ${periodNs} ns`);
    this.#toleranceNs = periodNs / 4n;
  }

  static fromRateHz(rateHz: number): FrameThrottle {
    if (!(rateHz > 0) || !Number.isFinite(rateHz))
      throw new RangeError(`throttle rate must be positive, got ${rateHz} Hz`);
    return new FrameThrottle(BigInt(Math.round(1e9 / rateHz)));
  }

  /** True when the frame stamped `stampNs` should pass; stamps that do not move forward never pass. */
  accept(stampNs: TimeNs): boolean {
    if (this.#lastStampNs !== undefined && stampNs <= this.#lastStampNs) return false;
    this.#lastStampNs = stampNs;
    if (this.#nextDueNs !== undefined && stampNs < this.#nextDueNs - this.#toleranceNs) return false;
    const next = (this.#nextDueNs ?? stampNs) + this.periodNs;
    this.#nextDueNs = next > stampNs ? next : stampNs + this.periodNs;
    return true;
  }
}
