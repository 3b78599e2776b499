import type { ModelPreset } from '../presets';

/**
 * DDIM schedule of the action head (paper: DDIM with 100 training steps; SYSTEM.md §2.3), matching Diffusers'
 * DDIMScheduler defaults: `squaredcos_cap_v2` betas, "leading" timestep spacing, steps_offset 0, and
 * set_alpha_to_one, so the last step has ᾱ_prev = 1 and returns the clipped x0.
 */

/** Improved-DDPM cosine betas: β_i = min(1 − f((i+1)/T)/f(i/T), 0.999), f(t) = cos²((t + 0.008)/1.008 · π/2). */
export function squaredCosBetas(trainSteps: number): Float64Array {
  if (!Number.isInteger(trainSteps) || trainSteps < 1)
    throw new Error(`trainSteps must be a positive integer, got ${trainSteps}`);
  const f = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const betas = new Float64Array(trainSteps);
  for (let i = 0; i < trainSteps; i++)
    betas[i] = Math.min(1 - f((i + 1) / trainSteps) / f(i / trainSteps), 0.999);
  return betas;
}

/** ᾱ_k = Π_{i ≤ k} (1 − β_i) for k = 0 … trainSteps − 1. */
export function alphaBarTable(ddim: ModelPreset['ddim']): Float64Array {
  if (ddim.betaSchedule !== 'squaredcos_cap_v2')
    throw new Error(`unsupported beta schedule ${String(ddim.betaSchedule)}`);
  const betas = squaredCosBetas(ddim.trainSteps);
  const out = new Float64Array(betas.length);
  let prod = 1;
  betas.forEach((b, i) => (out[i] = prod *= 1 - b));
  return out;
}

/** What the runtime feeds the `action_step` graph at one inference step. */
export interface DdimStep {
  /** Training timestep k (fed as `timestep`). */
  timestep: number;
  alphaBar: number;
  /** ᾱ of the next step; 1 after the last step. */
  alphaBarPrev: number;
}

/** The inference steps, noisiest first: k = (steps−1)·r, …, r, 0 with r = ⌊trainSteps/steps⌋ ("leading"). */
export function ddimSchedule(ddim: ModelPreset['ddim'], steps: number = ddim.steps): DdimStep[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > ddim.trainSteps) {
    throw new Error(`DDIM steps must be an integer in 1…${ddim.trainSteps}, got ${steps}`);
  }
  const table = alphaBarTable(ddim);
  const ratio = Math.floor(ddim.trainSteps / steps);
  const out: DdimStep[] = [];
  for (let i = steps - 1; i >= 0; i--) {
    const k = i * ratio;
    const prev = k - ratio;
    out.push({ timestep: k, alphaBar: table[k]!, alphaBarPrev: prev >= 0 ? table[prev]! : 1 });
  }
  return out;
}
