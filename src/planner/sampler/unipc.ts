/**
 * The release's sampler (OFFICIAL.md §6): `FlowUniPCMultistepScheduler` with its defaults — flow sigmas with
 * shift 1, x0 prediction, solver order 2 with the bh2 update, a UniC corrector at every step after the first and
 * lower orders at the end — written as pure functions over flat Float32Arrays. The model is conditioned on the
 * truncated integer timestep while the update uses the float32 sigma, exactly as the release does.
 */

export interface UniPCSchedule {
  /** σ_0 … σ_K (float32 values), the last one 0. */
  sigmas: readonly number[];
  /** int(1000·σ_k) for k < K: what the DiT is conditioned on. */
  timesteps: readonly number[];
  /** λ_k = ln(1 − σ_k) − ln σ_k (+∞ at σ = 0). */
  lambdas: readonly number[];
}

export interface UniPCState {
  /** Index of the next step. */
  readonly step: number;
  /** x0 predictions of the previous steps, oldest first (at most `SOLVER_ORDER`). */
  readonly x0History: readonly Float32Array[];
  /** The corrected sample of the previous step (UniC result), which the next corrector starts from. */
  readonly lastSample: Float32Array | null;
  /** Order of the previous predictor; the next corrector uses it. */
  readonly lastOrder: number;
}

export interface UniPCStepTrace {
  x0: Float32Array;
  /** The sample after the corrector (the model input itself at step 0). */
  corrected: Float32Array;
  order: number;
  /** The predictor's result: the sample at the next sigma (before any re-injection). */
  next: Float32Array;
}

const SOLVER_ORDER = 2;

/** σ_k = linspace(σ_max, 0, steps + 1)[:steps] shifted, then 0; σ_max = 1 − 1/numTrainTimesteps in float32. */
export function flowUniPCSchedule(steps: number, numTrainTimesteps = 1000, shift = 1): UniPCSchedule {
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`sampler steps must be a positive integer, got ${steps}`);
  const sigmaMax = Math.fround(1 - Math.fround(1 / numTrainTimesteps));
  const sigmas: number[] = [];
  for (let k = 0; k < steps; k++) {
    const s = Math.fround(sigmaMax * (1 - k / steps));
    sigmas.push(Math.fround((shift * s) / (1 + (shift - 1) * s)));
  }
  const timesteps = sigmas.map((s) => Math.trunc(Math.fround(s * numTrainTimesteps)));
  sigmas.push(0);
  const lambdas = sigmas.map((s) => Math.fround(Math.log(Math.fround(1 - s)) - Math.log(s)));
  return { sigmas, timesteps, lambdas };
}

export function initialUniPCState(): UniPCState {
  return { step: 0, x0History: [], lastSample: null, lastOrder: 0 };
}

/**
 * One scheduler step: from the model input `sample` at σ_k and the model's velocity, the corrected sample, the
 * x0 prediction and the sample at σ_{k+1}. Pure: the returned state replaces the given one.
 */
export function uniPCStep(
  schedule: UniPCSchedule,
  state: UniPCState,
  sample: Float32Array,
  velocity: Float32Array,
): { state: UniPCState; trace: UniPCStepTrace } {
  const k = state.step;
  const steps = schedule.timesteps.length;
  if (k >= steps) throw new Error(`sampler: step ${k} is past the schedule's ${steps} steps`);
  if (velocity.length !== sample.length) {
    throw new Error(`sampler: velocity has ${velocity.length} values, the sample ${sample.length}`);
  }
  const sigma = schedule.sigmas[k]!;
  const x0 = new Float32Array(sample.length);
  for (let i = 0; i < x0.length; i++) x0[i] = sample[i]! - sigma * velocity[i]!;

  const corrected =
    k > 0 && state.lastSample ? uniCorrector(schedule, k, state, x0) : Float32Array.from(sample);
  const x0History = [...state.x0History, x0].slice(-SOLVER_ORDER);
  const order = Math.min(SOLVER_ORDER, steps - k, Math.min(k, SOLVER_ORDER) + 1);
  const next = uniPredictor(schedule, k, x0History, corrected, order);
  return {
    state: { step: k + 1, x0History, lastSample: corrected, lastOrder: order },
    trace: { x0, corrected, order, next },
  };
}

/** Latent layout [C, T, H, W] of the DiT's sample, the first `referenceFrames` frames clean. */
export interface SampleLayout {
  channels: number;
  frames: number;
  referenceFrames: number;
}

/**
 * Re-injection: overwrites frames 0..referenceFrames−1 of every channel of x with the clean reference
 * [C, referenceFrames, H, W], as the release does after every step (the corrector's own sample is left as it is).
 */
export function reinjectReference(x: Float32Array, reference: Float32Array, layout: SampleLayout): void {
  const plane = x.length / (layout.channels * layout.frames);
  const block = layout.referenceFrames * plane;
  if (!Number.isInteger(plane) || reference.length !== layout.channels * block) {
    throw new Error(
      `sampler: a reference of ${reference.length} values does not fit ${layout.channels}×${layout.referenceFrames} frames of a ${x.length}-value sample`,
    );
  }
  for (let c = 0; c < layout.channels; c++) {
    x.set(reference.subarray(c * block, (c + 1) * block), c * layout.frames * plane);
  }
}

/** Predictor UniP (bh2) from the corrected sample at σ_k to σ_{k+1}. */
function uniPredictor(
  schedule: UniPCSchedule,
  k: number,
  x0History: readonly Float32Array[],
  x: Float32Array,
  order: number,
): Float32Array {
  const { sigmas, lambdas } = schedule;
  const sigmaT = sigmas[k + 1]!;
  const alphaT = 1 - sigmaT;
  const h = lambdas[k + 1]! - lambdas[k]!;
  const phi = Math.expm1(-h);
  const m0 = x0History[x0History.length - 1]!;
  const ratio = sigmaT / sigmas[k]!;
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = ratio * x[i]! - alphaT * phi * m0[i]!;
  if (order === 2) {
    // D1 = (m_{k−1} − m_k) / r with r = (λ_{k−1} − λ_k) / h; the order-2 predictor weights it by ½.
    const m1 = x0History[x0History.length - 2]!;
    const r = (lambdas[k - 1]! - lambdas[k]!) / h;
    const w = (alphaT * phi * 0.5) / r;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! - w * (m1[i]! - m0[i]!);
  }
  return out;
}

/** Corrector UniC (bh2): recomputes the sample at σ_k from the previous corrected sample and x0 predictions. */
function uniCorrector(schedule: UniPCSchedule, k: number, state: UniPCState, x0: Float32Array): Float32Array {
  const { sigmas, lambdas } = schedule;
  const order = state.lastOrder;
  const prev = state.x0History[state.x0History.length - 1]!; // m_{k−1}
  const x = state.lastSample!;
  const sigmaT = sigmas[k]!;
  const alphaT = 1 - sigmaT;
  const h = lambdas[k]! - lambdas[k - 1]!;
  const hh = -h;
  const phi = Math.expm1(hh);
  const B = phi;
  const ratio = sigmaT / sigmas[k - 1]!;
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = ratio * x[i]! - alphaT * phi * prev[i]!;
  if (order === 1) {
    const w = alphaT * B * 0.5;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! - w * (x0[i]! - prev[i]!);
    return out;
  }
  // Order 2: ρ solves [[1, 1], [r, 1]] ρ = b with b_i from the φ-functions of −h.
  const older = state.x0History[state.x0History.length - 2]!; // m_{k−2}
  const r = (lambdas[k - 2]! - lambdas[k - 1]!) / h;
  const phi2 = phi / hh - 1;
  const b0 = phi2 / B;
  const b1 = (2 * (phi2 / hh - 0.5)) / B;
  const rho1 = (b1 - r * b0) / (1 - r);
  const rho0 = b0 - rho1;
  const wD = (alphaT * B * rho0) / r;
  const wT = alphaT * B * rho1;
  for (let i = 0; i < out.length; i++) {
    out[i] = out[i]! - wD * (older[i]! - prev[i]!) - wT * (x0[i]! - prev[i]!);
  }
  return out;
}
