import { toModelInput, type SampledFrame } from '../../camera';
import type { TimeNs } from '../../messages/time';
import type { NoPlan, Plan } from '../../planner/plan';
import type { Planner } from '../../planner/planner';
import type { GeometricContext } from '../../planner/stages/action';
import type { FrameSource } from '../../camera/frame';
import type { CameraInput, CameraSample } from './camera-input';

/** What the plan cycle needs of the planner runtime. */
export type PlanCycleRuntime = Pick<Planner, 'addFrame' | 'plan' | 'resetEpisode'>;

/** Where the cycle's results go; called only for work of the current episode. */
export interface PlanCycleSink {
  plan(plan: Plan, arrivalNs: TimeNs | undefined): void;
  noPlan(noPlan: NoPlan): void;
  /** A sampled frame that could not be decoded (a CameraFrameError, whose message names topic/stamp/encoding). */
  badFrame(error: Error): void;
  encodeError(error: Error, stampNs: TimeNs): void;
  /** Anything else that went wrong (a failed history reset). */
  problem(message: string): void;
  /** Every decoded frame's source size (the camera model of the geometric action source needs it). */
  frame?(source: FrameSource): void;
  /** What the geometric action source needs for the next plan (camera model, measured velocity). */
  geometric?(): GeometricContext | undefined;
}

export interface PlanCycleCounters {
  framesEncoded: number;
  /** Sampled frames replaced by a newer one while decoding/encoding was busy. */
  framesReplaced: number;
  chunks: number;
  /** Chunks superseded by a newer chunk while a plan was in flight. */
  chunksSkipped: number;
}

/**
 * Frames → chunks → plans, without ever queueing stale work:
 * - one sampled frame at a time is decoded and fed to the encoder; a frame sampled meanwhile waits in a single
 *   slot, and a newer one replaces it (latest-frame semantics);
 * - a new chunk starts a plan when none is in flight; a chunk encoded during a plan is remembered (only the newest)
 *   and planned from as soon as that plan ends, so replanning keeps pace with the chunks (≈1 s) without a backlog;
 * - `newEpisode`/`endEpisode` abort the in-flight plan (between network calls) and discard the old episode's work;
 *   the history is reset before the first frame of the new episode is encoded.
 */
export class PlanCycle {
  readonly counters: PlanCycleCounters = { framesEncoded: 0, framesReplaced: 0, chunks: 0, chunksSkipped: 0 };
  readonly #planner: PlanCycleRuntime;
  readonly #camera: CameraInput;
  readonly #sink: PlanCycleSink;
  readonly #arrivals = new Map<TimeNs, TimeNs>();
  #instruction: string | undefined;
  #generation = 0;
  #slot: SampledFrame<CameraSample> | undefined;
  #ingest: Promise<void> | undefined;
  #needsReset = false;
  #plan: { promise: Promise<void>; abort: AbortController } | undefined;
  #planPending = false;
  #closed = false;

  constructor(planner: PlanCycleRuntime, camera: CameraInput, sink: PlanCycleSink) {
    this.#planner = planner;
    this.#camera = camera;
    this.#sink = sink;
  }

  /** A plan is in flight (and not cancelled). */
  get planning(): boolean {
    return this.#plan !== undefined && !this.#plan.abort.signal.aborted;
  }

  /** Starts planning for `instruction` from fresh history; anything of the previous episode is dropped. */
  newEpisode(instruction: string): void {
    this.endEpisode();
    this.#instruction = instruction;
    this.#needsReset = true;
  }

  /** Stops planning: aborts the in-flight plan, drops the waiting frame and the pending chunk. */
  endEpisode(): void {
    this.#generation++;
    this.#instruction = undefined;
    this.#plan?.abort.abort();
    this.#planPending = false;
    this.#slot = undefined;
  }

  /** No more work after this; what is in flight finishes (see `idle`). */
  close(): void {
    this.endEpisode();
    this.#closed = true;
  }

  offer(sample: SampledFrame<CameraSample>): void {
    if (this.#instruction === undefined || this.#closed) return;
    if (this.#slot) this.counters.framesReplaced++;
    this.#slot = sample;
    this.#ingest ??= this.#pump().finally(() => (this.#ingest = undefined));
  }

  /** Resolves when no frame is being encoded and no plan is in flight. */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [this.#ingest, this.#plan?.promise].filter((p) => p !== undefined);
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  async #pump(): Promise<void> {
    while (this.#slot && !this.#closed) {
      const sample = this.#slot;
      this.#slot = undefined;
      if (this.#needsReset) {
        this.#needsReset = false;
        await this.#plan?.promise; // aborted: ends at its next network call
        await this.#planner
          .resetEpisode()
          .catch((err: Error) => this.#sink.problem(`history reset failed: ${err.message}`));
      }
      const generation = this.#generation;
      let data: Float32Array;
      let stampNs: TimeNs;
      try {
        const frame = await this.#camera.decode(sample.frame);
        data = toModelInput(frame);
        stampNs = frame.stampNs;
        this.#sink.frame?.(frame.source);
      } catch (err) {
        this.#sink.badFrame(err as Error);
        continue;
      }
      if (generation !== this.#generation) continue;
      let chunk: boolean;
      try {
        chunk = await this.#planner.addFrame({ stampNs, data });
      } catch (err) {
        if (generation === this.#generation) this.#sink.encodeError(err as Error, stampNs);
        continue;
      }
      this.counters.framesEncoded++;
      if (!chunk || generation !== this.#generation) continue;
      this.counters.chunks++;
      this.#arrivals.set(stampNs, sample.frame.arrivalNs);
      while (this.#arrivals.size > 8) this.#arrivals.delete(this.#arrivals.keys().next().value!);
      this.#requestPlan();
    }
  }

  #requestPlan(): void {
    const instruction = this.#instruction;
    if (instruction === undefined || this.#closed) return;
    if (this.#plan) {
      if (this.#planPending) this.counters.chunksSkipped++;
      this.#planPending = true;
      return;
    }
    const abort = new AbortController();
    const generation = this.#generation;
    const geometric = this.#sink.geometric?.();
    const promise = this.#planner
      .plan(instruction, { signal: abort.signal, ...(geometric ? { geometric } : {}) })
      .then((outcome) => {
        if (generation !== this.#generation) return;
        if (outcome.ok) this.#sink.plan(outcome, this.#arrivals.get(outcome.inputStampNs));
        else this.#sink.noPlan(outcome);
      })
      .catch((err: Error) => this.#sink.problem(`plan cycle failed: ${err.message}`))
      .finally(() => {
        this.#plan = undefined;
        if (this.#planPending && generation === this.#generation) {
          this.#planPending = false;
          this.#requestPlan();
        }
      });
    this.#plan = { promise, abort };
  }
}
