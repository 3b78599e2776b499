import type { TimeNs } from '../messages/time';

/** One relative motion between consecutive 4 FPS frames (REP-103, robot frame of the previous step). */
export interface Action {
  dx_m: number;
  dy_m: number;
  dtheta_rad: number;
}

export interface StageTimings {
  /** VAE encode of the newest chunk. */
  encodeMs: number;
  historyMs: number;
  /** Text encoding; 0 when the instruction's embedding was cached. */
  textMs: number;
  ditMs: number;
  actionMs: number;
  totalMs: number;
}

export interface Plan {
  ok: true;
  sequence: number;
  /** Stamp of the newest camera frame the plan saw. */
  inputStampNs: TimeNs;
  instruction: string;
  actions: Action[];
  stepDtS: number;
  /** The imagined sparse future: normalised latents [C, 8, h, w] at `futureOffsets` chunks after the input. */
  futureLatents: Float32Array;
  futureDims: readonly [number, number, number, number];
  futureOffsets: readonly number[];
  historyChunks: number;
  timings: StageTimings;
}

/** A plan cycle that produced nothing usable; the reason says why (never a trajectory with non-finite numbers). */
export interface NoPlan {
  ok: false;
  sequence: number;
  inputStampNs: TimeNs | undefined;
  reason: string;
  kind: 'cancelled' | 'no_frames' | 'invalid_instruction' | 'non_finite' | 'inference_error';
}

export type PlanOutcome = Plan | NoPlan;
