import { nsToSeconds, type TimeNs } from '../../messages/time';

/** Stamps farther than this from the node's clock are not on it (camera latency is well under 1 s). */
export const CLOCK_SKEW_LIMIT_NS = 1_000_000_000n;

/**
 * Puts a stream's stamps on the node's clock when they are far off it, by a constant offset (so that the 4 FPS
 * sampling by stamp and the spacing of frames are kept). A bag played without `--clock` carries stamps days old,
 * and plans timed from them were exhausted before they arrived; `--loop` makes them jump back at each loop.
 * Stamps within the limit are used as they are. Before the clock runs (sim time, no /clock yet: 0) nothing is
 * aligned.
 */
export class StampAligner {
  #offsetNs = 0n;
  #lastNs: TimeNs | undefined;

  constructor(
    readonly what: string,
    readonly limitNs: TimeNs = CLOCK_SKEW_LIMIT_NS,
  ) {}

  /** The stamp to use for a message stamped `stampNs` arriving at `nowNs`, and a notice when the offset changed. */
  align(stampNs: TimeNs, nowNs: TimeNs): { stampNs: TimeNs; notice?: string } {
    if (nowNs === 0n) return { stampNs };
    const aligned = stampNs + this.#offsetNs;
    const skew = nowNs - aligned;
    if ((skew < 0n ? -skew : skew) <= this.limitNs) return this.#emit(aligned);
    // Re-aligned stamps must still move forward (the previous offset may have held a little latency).
    const target = this.#lastNs !== undefined && nowNs <= this.#lastNs ? this.#lastNs + 1_000_000n : nowNs;
    this.#offsetNs = target - stampNs;
    const off = nsToSeconds(nowNs - stampNs);
    this.#lastNs = target;
    return {
      stampNs: target,
      notice:
        this.#offsetNs === 0n
          ? `${this.what} stamps are on this node's clock again`
          : `${this.what} stamps are ${off.toFixed(3)} s off this node's clock (a bag played without --clock, ` +
            `or clocks not synchronised): they are shifted by that much from here on`,
    };
  }

  #emit(stampNs: TimeNs): { stampNs: TimeNs } {
    this.#lastNs = stampNs;
    return { stampNs };
  }
}
