import type { TimeNs } from '../messages/time';

/** The model runs on 4 frames per second (SYSTEM.md §1): one tick every 0.25 s. */
export const MODEL_FRAME_PERIOD_NS: TimeNs = 250_000_000n;

/** A camera frame chosen for a tick of the model's frame clock. */
export interface SampledFrame<F> {
  readonly kind: 'frame';
  readonly tick: bigint;
  readonly tickNs: TimeNs;
  readonly stampNs: TimeNs;
  /** stamp − tick: how far from the ideal instant the chosen frame lies (|offset| < period / 2). */
  readonly offsetNs: TimeNs;
  readonly frame: F;
}

/** Ticks for which no camera frame lay within half a period: the model's 4 FPS stream has a hole. */
export interface FrameGap {
  readonly kind: 'gap';
  readonly firstTick: bigint;
  readonly missedTicks: number;
  /** Stamps of the last frame sampled before the hole and of the frame that ended it. */
  readonly lastStampNs: TimeNs;
  readonly nextStampNs: TimeNs;
}

/** A frame that was not considered because its stamp does not move forward. */
export interface RejectedFrame {
  readonly kind: 'rejected';
  readonly stampNs: TimeNs;
  readonly previousStampNs: TimeNs;
  readonly reason: 'stamp went backwards' | 'duplicate stamp';
}

export type SamplerEvent<F> = SampledFrame<F> | FrameGap | RejectedFrame;

export interface FrameSamplerOptions {
  /** Tick period; default 0.25 s (4 FPS). */
  readonly periodNs?: TimeNs;
}

/**
 * Takes the model's frames out of a camera stream of any rate **by timestamp**: ticks lie on a grid anchored at
 * the first frame's stamp (tick k at anchor + k·period), and each tick gets the frame nearest to it among those
 * within half a period (so a frame serves at most one tick). A tick is decided as soon as a frame at or after
 * it arrives, so the only delay added is waiting for that next frame. Ticks with no frame in reach are reported
 * as a gap (a slow camera, a dropped link); the grid is kept, so the model's time axis stays regular.
 */
export class FrameSampler<F> {
  readonly periodNs: TimeNs;
  readonly #halfNs: TimeNs;
  #anchorNs: TimeNs | undefined;
  #nextTick = 0n;
  #lastStampNs: TimeNs | undefined;
  #lastEmittedStampNs: TimeNs | undefined;
  /** The latest frame before the next tick, within its half-period window. */
  #pending: { stampNs: TimeNs; frame: F } | undefined;

  constructor(options: FrameSamplerOptions = {}) {
    this.periodNs = options.periodNs ?? MODEL_FRAME_PERIOD_NS;
    if (this.periodNs <= 0n) throw new RangeError(`sampler period must be positive, got ${this.periodNs} ns`);
    this.#halfNs = this.periodNs / 2n;
  }

  /** Feeds one camera frame (in arrival order); returns what that decided, in time order. */
  push(stampNs: TimeNs, frame: F): SamplerEvent<F>[] {
    if (this.#lastStampNs !== undefined && stampNs <= this.#lastStampNs) {
      return [
        {
          kind: 'rejected',
          stampNs,
          previousStampNs: this.#lastStampNs,
          reason: stampNs === this.#lastStampNs ? 'duplicate stamp' : 'stamp went backwards',
        },
      ];
    }
    this.#lastStampNs = stampNs;
    if (this.#anchorNs === undefined) {
      this.#anchorNs = stampNs;
      this.#nextTick = 1n;
      return [this.#emit(0n, stampNs, frame)];
    }
    const events: SamplerEvent<F>[] = [];
    let gap: { firstTick: bigint; missed: number } | undefined;
    let current: { stampNs: TimeNs; frame: F } | undefined = { stampNs, frame };
    while (this.tickNs(this.#nextTick) <= stampNs) {
      const tick = this.#nextTick;
      const tickNs = this.tickNs(tick);
      const before = this.#pending;
      const after = current && current.stampNs < tickNs + this.#halfNs ? current : undefined;
      let chosen = before;
      if (after && (!before || after.stampNs - tickNs < tickNs - before.stampNs)) chosen = after;
      if (chosen) {
        if (gap) events.push(this.#gap(gap.firstTick, gap.missed, chosen.stampNs));
        gap = undefined;
        events.push(this.#emit(tick, chosen.stampNs, chosen.frame));
        if (chosen === after) current = undefined;
      } else if (gap) {
        gap.missed++;
      } else {
        gap = { firstTick: tick, missed: 1 };
      }
      this.#pending = undefined;
      this.#nextTick++;
    }
    if (gap) events.push(this.#gap(gap.firstTick, gap.missed, stampNs));
    // What is left lies before the next tick: keep it if it is within that tick's window.
    this.#pending =
      current && current.stampNs >= this.tickNs(this.#nextTick) - this.#halfNs ? current : undefined;
    return events;
  }

  /** The instant of tick k; undefined before the first frame anchored the grid. */
  tickNs(tick: bigint): TimeNs {
    if (this.#anchorNs === undefined) throw new Error('the sampler has no frame yet: ticks are not anchored');
    return this.#anchorNs + tick * this.periodNs;
  }

  /** Forgets the grid (a new episode, a camera restart): the next frame anchors tick 0 again. */
  reset(): void {
    this.#anchorNs = undefined;
    this.#nextTick = 0n;
    this.#lastStampNs = undefined;
    this.#lastEmittedStampNs = undefined;
    this.#pending = undefined;
  }

  #emit(tick: bigint, stampNs: TimeNs, frame: F): SampledFrame<F> {
    this.#lastEmittedStampNs = stampNs;
    const tickNs = this.tickNs(tick);
    return { kind: 'frame', tick, tickNs, stampNs, offsetNs: stampNs - tickNs, frame };
  }

  #gap(firstTick: bigint, missedTicks: number, nextStampNs: TimeNs): FrameGap {
    return { kind: 'gap', firstTick, missedTicks, lastStampNs: this.#lastEmittedStampNs ?? 0n, nextStampNs };
  }
}
